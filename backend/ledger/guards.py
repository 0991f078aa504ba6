"""Database triggers that keep the books honest even against code that bypasses the service:

- a posted voucher and its lines can be neither changed nor deleted, and no line can be added to it;
- a voucher can only become posted if its lines balance (sum of debits = sum of credits > 0).

The same rules on SQLite and PostgreSQL. Migration 0002 creates them from here; changing them needs a new
migration that drops and recreates them.
"""

from __future__ import annotations

IMMUTABLE = "会计凭证已记账，不能修改或删除"
UNBALANCED = "会计凭证借贷不平，不能记账"

TRIGGERS = (
    "ledger_voucher_guard_update",
    "ledger_voucher_guard_delete",
    "ledger_line_guard_insert",
    "ledger_line_guard_update",
    "ledger_line_guard_delete",
)

_BALANCED = """(SELECT COALESCE(SUM(debit_fen), 0) FROM ledger_voucher_lines WHERE voucher_id = NEW.id)
             = (SELECT COALESCE(SUM(credit_fen), 0) FROM ledger_voucher_lines WHERE voucher_id = NEW.id)
         AND (SELECT COALESCE(SUM(debit_fen), 0) FROM ledger_voucher_lines WHERE voucher_id = NEW.id) > 0"""

SQLITE_CREATE = (
    f"""CREATE TRIGGER ledger_voucher_guard_update BEFORE UPDATE ON ledger_vouchers
    WHEN OLD.status = 'posted' OR (NEW.status = 'posted' AND NOT ({_BALANCED}))
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}；{UNBALANCED}'); END""",
    f"""CREATE TRIGGER ledger_voucher_guard_delete BEFORE DELETE ON ledger_vouchers
    WHEN OLD.status = 'posted' BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER ledger_line_guard_insert BEFORE INSERT ON ledger_voucher_lines
    WHEN (SELECT status FROM ledger_vouchers WHERE id = NEW.voucher_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER ledger_line_guard_update BEFORE UPDATE ON ledger_voucher_lines
    WHEN (SELECT status FROM ledger_vouchers WHERE id = OLD.voucher_id) = 'posted'
      OR (SELECT status FROM ledger_vouchers WHERE id = NEW.voucher_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER ledger_line_guard_delete BEFORE DELETE ON ledger_voucher_lines
    WHEN (SELECT status FROM ledger_vouchers WHERE id = OLD.voucher_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
)

POSTGRES_CREATE = (
    f"""CREATE FUNCTION ledger_voucher_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'posted' THEN
          RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF OLD.status = 'posted' THEN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF NEW.status = 'posted' AND NOT ({_BALANCED}) THEN
        RAISE EXCEPTION '{UNBALANCED}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION ledger_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE vid BIGINT;
    BEGIN
      IF TG_OP = 'INSERT' THEN vid := NEW.voucher_id; ELSE vid := OLD.voucher_id; END IF;
      IF (SELECT status FROM ledger_vouchers WHERE id = vid) = 'posted' THEN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'UPDATE' AND (SELECT status FROM ledger_vouchers WHERE id = NEW.voucher_id) = 'posted' THEN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER ledger_voucher_guard_update BEFORE UPDATE ON ledger_vouchers
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_guard()""",
    """CREATE TRIGGER ledger_voucher_guard_delete BEFORE DELETE ON ledger_vouchers
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_guard()""",
    """CREATE TRIGGER ledger_line_guard_insert BEFORE INSERT ON ledger_voucher_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_line_guard()""",
    """CREATE TRIGGER ledger_line_guard_update BEFORE UPDATE ON ledger_voucher_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_line_guard()""",
    """CREATE TRIGGER ledger_line_guard_delete BEFORE DELETE ON ledger_voucher_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_line_guard()""",
)

POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS ledger_voucher_guard_update ON ledger_vouchers",
    "DROP TRIGGER IF EXISTS ledger_voucher_guard_delete ON ledger_vouchers",
    "DROP TRIGGER IF EXISTS ledger_line_guard_insert ON ledger_voucher_lines",
    "DROP TRIGGER IF EXISTS ledger_line_guard_update ON ledger_voucher_lines",
    "DROP TRIGGER IF EXISTS ledger_line_guard_delete ON ledger_voucher_lines",
    "DROP FUNCTION IF EXISTS ledger_voucher_guard()",
    "DROP FUNCTION IF EXISTS ledger_line_guard()",
)
SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS)


def create_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_DROP if dialect == "postgresql" else SQLITE_DROP
