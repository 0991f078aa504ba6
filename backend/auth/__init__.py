"""WeChat login, binding a WeChat account to a person on the roster, API tokens, the current user.

Other packages use what is listed below: a notice's pushes go to the people's bound WeChat accounts
(``openids_of``); the villager's home page shows who they are (``me``, ``MeMemberSchema``); the township's overview
counts who in each village can use the mini-program (``bound_counts``).
"""

from backend.auth.schemas import MeMemberSchema
from backend.auth.service import bound_counts, me, openids_of

__all__ = ["MeMemberSchema", "bound_counts", "me", "openids_of"]
