"""The township's read-only view across its villages: the progress table (income against targets, rank, score,
published disclosures, open and stuck decisions) and the monthly report as .xlsx and PDF. Nothing else imports it
but the app's wiring."""

__all__: list[str] = []
