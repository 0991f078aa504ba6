"""Announcements (公告) from the township and the village: publishing after WeChat's content check, who sees them,
read receipts (in the app, at a meeting, on the loudspeaker) and reach, and the outbox that pushes them as WeChat
subscribe messages.

Other packages read a villager's notices through ``my_notices_listed`` (the villager's home page).
"""

from backend.notices.messages import assisted_template_id, queue_assisted_message, queue_push, template_for
from backend.notices.service import Listed, my_notices_listed

__all__ = ["Listed", "assisted_template_id", "my_notices_listed", "queue_assisted_message", "queue_push",
           "template_for"]
