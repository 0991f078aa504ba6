"""Announcements (公告) from the township and the village: publishing after WeChat's content check, who sees them,
read receipts (in the app, at a meeting, on the loudspeaker) and reach, and the outbox that pushes them as WeChat
subscribe messages.

Other packages read a villager's notices through ``my_notices_listed`` (the villager's home page).
"""

from backend.notices.messages import (
    amount_text,
    assisted_template_id,
    household_people,
    queue_assisted_message,
    queue_each,
    queue_push,
    template_for,
    thing,
    time_text,
)
from backend.notices.outbox import register_still_wanted
from backend.notices.service import Listed, my_notices_listed

__all__ = ["Listed", "amount_text", "assisted_template_id", "household_people", "my_notices_listed",
           "queue_assisted_message", "queue_each", "queue_push", "register_still_wanted", "template_for", "thing",
           "time_text"]
