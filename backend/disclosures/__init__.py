"""财务公开 (village financial disclosure): drafted from the closed books, signed off by the village supervision
committee, published with a seal, asked about by villagers line by line, printed for the notice board; the
township sees which villages have published.

The township and the villager's home screen read it through the functions below; the township's printed ranking
is set in the same notice style (:class:`Notice` and its table and section).
"""

from backend.disclosures.drafting import draft_disclosure, snapshot
from backend.disclosures.periods import months_of, previous_quarter
from backend.disclosures.printing.document import format_yuan, yuan_decimal
from backend.disclosures.printing.pdf import BODY_PT, SUBTITLE_PT, TITLE_PT, Notice, notice_section, notice_table
from backend.disclosures.questions import QUESTION_DAYS, answer, ask
from backend.disclosures.review import approve, publish, sealed_payload
from backend.disclosures.service import (
    detail_url,
    export_doc,
    latest_published,
    published_villages,
    township_status,
)

__all__ = [
    "BODY_PT",
    "QUESTION_DAYS",
    "SUBTITLE_PT",
    "TITLE_PT",
    "Notice",
    "answer",
    "approve",
    "ask",
    "detail_url",
    "draft_disclosure",
    "export_doc",
    "format_yuan",
    "latest_published",
    "months_of",
    "notice_section",
    "notice_table",
    "previous_quarter",
    "publish",
    "published_villages",
    "sealed_payload",
    "snapshot",
    "township_status",
    "yuan_decimal",
]
