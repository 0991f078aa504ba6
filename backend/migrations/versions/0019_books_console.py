"""the books in the console: the database refuses to post an expense beyond its decision's amount

Revision ID: 0019_books_console
Revises: 0018_land_payouts
Create Date: 2026-12-06 02:45:00

A trigger on ``ledger_vouchers`` (SQLite and PostgreSQL): a voucher that becomes posted citing a decision of its
village whose ``amount_fen`` is set, and that spends (debits less credits to expense accounts and to 固定资产 151,
在建工程 153, 长期待摊费用 171), may not take what the village's posted vouchers citing that decision spend beyond the
amount. A reversed voucher and a reversal count for nothing; a reversal itself and a voucher that spends nothing or
gives money back are never refused. The service (``backend/ledger/decision_cap.py``) refuses first, in Chinese and
under a per-decision lock; this is the same rule kept by the database against code that bypasses it. The SQL is
written out here (not imported) so that this revision stays what it was.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_books_console'
down_revision = '0018_land_payouts'
branch_labels = None
depends_on = None

MESSAGE = "支出超过所依据决议批准的金额，不能记账"
SPENDS = "(a.klass = 'expense' OR substr(a.code, 1, 3) IN ('151', '153', '171'))"
MINE = f"""(SELECT COALESCE(SUM(l.debit_fen - l.credit_fen), 0) FROM ledger_voucher_lines l
            JOIN ledger_accounts a ON a.id = l.account_id WHERE l.voucher_id = NEW.id AND {SPENDS})"""
OTHERS = f"""(SELECT COALESCE(SUM(l.debit_fen - l.credit_fen), 0) FROM ledger_vouchers v
              JOIN ledger_voucher_lines l ON l.voucher_id = v.id JOIN ledger_accounts a ON a.id = l.account_id
              WHERE v.village_id = NEW.village_id AND v.status = 'posted' AND v.decision_ref = NEW.decision_ref
                AND v.id <> NEW.id AND v.reverses_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM ledger_vouchers r WHERE r.reverses_id = v.id) AND {SPENDS})"""

SQLITE_AMOUNT = """(SELECT d.amount_fen FROM decisions d
                    WHERE d.village_id = NEW.village_id AND d.id = CAST(NEW.decision_ref AS INTEGER))"""
SQLITE_CREATE = f"""CREATE TRIGGER ledger_voucher_decision_cap BEFORE UPDATE ON ledger_vouchers
    WHEN NEW.status = 'posted' AND OLD.status = 'draft' AND NEW.reverses_id IS NULL
     AND NEW.decision_ref GLOB '[0-9]*' AND NOT NEW.decision_ref GLOB '*[^0-9]*' AND length(NEW.decision_ref) <= 18
     AND {SQLITE_AMOUNT} IS NOT NULL
     AND {MINE} > 0
     AND {OTHERS} + {MINE} > {SQLITE_AMOUNT}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""

POSTGRES_CREATE = (
    f"""CREATE FUNCTION ledger_voucher_decision_cap() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE cap BIGINT; mine BIGINT; others BIGINT;
    BEGIN
      IF NEW.status <> 'posted' OR OLD.status <> 'draft' OR NEW.reverses_id IS NOT NULL
         OR NEW.decision_ref IS NULL OR NEW.decision_ref !~ '^[0-9]{{1,18}}$' THEN
        RETURN NEW;
      END IF;
      SELECT d.amount_fen INTO cap FROM decisions d
       WHERE d.village_id = NEW.village_id AND d.id = NEW.decision_ref::bigint;
      IF cap IS NULL THEN RETURN NEW; END IF;
      mine := {MINE};
      IF mine <= 0 THEN RETURN NEW; END IF;
      others := {OTHERS};
      IF others + mine > cap THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER ledger_voucher_decision_cap BEFORE UPDATE ON ledger_vouchers
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_decision_cap()""",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_CREATE:
            op.execute(statement)
    else:
        op.execute(SQLITE_CREATE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_voucher_decision_cap ON ledger_vouchers")
        op.execute("DROP FUNCTION IF EXISTS ledger_voucher_decision_cap()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_voucher_decision_cap")
