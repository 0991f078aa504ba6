"""The months' totals of each account (``ledger_account_months``), kept by a trigger on SQLite and PostgreSQL.

A voucher's lines count in the books from the moment it turns posted, and never change after (the guards of
:mod:`backend.ledger.guards`: no line added to, changed in or deleted from a posted voucher; a posted voucher is
neither changed nor deleted). So the one event that changes a month's totals is ``status`` going from draft to
posted, and an AFTER UPDATE trigger on it adds the voucher's lines, per account, to the voucher's month: whatever
posts (the service, an import, the year's close, a bench's bulk UPDATE) keeps the totals true in the same statement
and transaction. Two postings at once into one month queue on the month's counter row (service._next_number) before
the trigger runs, and ``ON CONFLICT DO UPDATE`` adds to the row as last committed; rows are taken in account order.

Migration 0028 creates the trigger from here and backfills; changing it needs a new migration.
"""

from __future__ import annotations

TRIGGER = "ledger_account_months_post"

_UPSERT = """INSERT INTO ledger_account_months (account_id, period, debit_fen, credit_fen)
      SELECT account_id, NEW.period, SUM(debit_fen), SUM(credit_fen) FROM ledger_voucher_lines
      WHERE voucher_id = NEW.id GROUP BY account_id ORDER BY account_id
      ON CONFLICT (account_id, period) DO UPDATE
      SET debit_fen = ledger_account_months.debit_fen + excluded.debit_fen,
          credit_fen = ledger_account_months.credit_fen + excluded.credit_fen"""
_POSTING = "OLD.status = 'draft' AND NEW.status = 'posted'"

SQLITE_CREATE = (
    f"""CREATE TRIGGER {TRIGGER} AFTER UPDATE OF status ON ledger_vouchers WHEN {_POSTING}
    BEGIN {_UPSERT}; END""",
)
POSTGRES_CREATE = (
    f"""CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_UPSERT};
      RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER {TRIGGER} AFTER UPDATE OF status ON ledger_vouchers
    FOR EACH ROW WHEN ({_POSTING}) EXECUTE FUNCTION {TRIGGER}()""",
)
SQLITE_DROP = (f"DROP TRIGGER IF EXISTS {TRIGGER}",)
POSTGRES_DROP = (f"DROP TRIGGER IF EXISTS {TRIGGER} ON ledger_vouchers", f"DROP FUNCTION IF EXISTS {TRIGGER}()")

# every posted line, per account and month: the backfill, and what the tests compare the totals with
FROM_LINES = """SELECT l.account_id, v.period, SUM(l.debit_fen), SUM(l.credit_fen)
    FROM ledger_voucher_lines l JOIN ledger_vouchers v ON v.id = l.voucher_id
    WHERE v.status = 'posted' GROUP BY l.account_id, v.period"""
BACKFILL = f"INSERT INTO ledger_account_months (account_id, period, debit_fen, credit_fen) {FROM_LINES}"


def create_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_DROP if dialect == "postgresql" else SQLITE_DROP
