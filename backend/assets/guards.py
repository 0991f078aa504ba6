"""Database triggers that keep a sealed 清产核资 and a disposed entry as they are, even against code that bypasses the
service (which refuses first, in Chinese, with 409):

- a sealed inventory cannot change, and no line of it can be added or changed;
- a disposed entry of the register cannot change.

Deletions are left to the service (nothing deletes these rows; the tests empty their tables by DELETE). The same
rules on SQLite and PostgreSQL; migration 0024 creates them from here.
"""

from __future__ import annotations

SEALED = "清产核资已封存，不能修改"
DISPOSED = "该项已处置，登记内容不能修改"

SQLITE_CREATE = (
    f"""CREATE TRIGGER asset_inventory_guard_update BEFORE UPDATE ON asset_inventories
    WHEN OLD.status = 'sealed' BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER asset_line_guard_insert BEFORE INSERT ON asset_inventory_lines
    WHEN (SELECT status FROM asset_inventories WHERE id = NEW.inventory_id) = 'sealed'
    BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER asset_line_guard_update BEFORE UPDATE ON asset_inventory_lines
    WHEN (SELECT status FROM asset_inventories WHERE id = OLD.inventory_id) = 'sealed'
      OR (SELECT status FROM asset_inventories WHERE id = NEW.inventory_id) = 'sealed'
    BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER asset_guard_update BEFORE UPDATE ON assets
    WHEN OLD.status = 'disposed' BEGIN SELECT RAISE(ABORT, '{DISPOSED}'); END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS asset_inventory_guard_update",
    "DROP TRIGGER IF EXISTS asset_line_guard_insert",
    "DROP TRIGGER IF EXISTS asset_line_guard_update",
    "DROP TRIGGER IF EXISTS asset_guard_update",
)

POSTGRES_CREATE = (
    f"""CREATE FUNCTION asset_inventory_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'sealed' THEN
        RAISE EXCEPTION '{SEALED}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION asset_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT status FROM asset_inventories WHERE id = NEW.inventory_id) = 'sealed'
         OR (TG_OP = 'UPDATE' AND (SELECT status FROM asset_inventories WHERE id = OLD.inventory_id) = 'sealed') THEN
        RAISE EXCEPTION '{SEALED}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION asset_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'disposed' THEN
        RAISE EXCEPTION '{DISPOSED}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER asset_inventory_guard_update BEFORE UPDATE ON asset_inventories
    FOR EACH ROW EXECUTE FUNCTION asset_inventory_guard()""",
    """CREATE TRIGGER asset_line_guard_insert BEFORE INSERT ON asset_inventory_lines
    FOR EACH ROW EXECUTE FUNCTION asset_line_guard()""",
    """CREATE TRIGGER asset_line_guard_update BEFORE UPDATE ON asset_inventory_lines
    FOR EACH ROW EXECUTE FUNCTION asset_line_guard()""",
    """CREATE TRIGGER asset_guard_update BEFORE UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION asset_guard()""",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS asset_inventory_guard_update ON asset_inventories",
    "DROP TRIGGER IF EXISTS asset_line_guard_insert ON asset_inventory_lines",
    "DROP TRIGGER IF EXISTS asset_line_guard_update ON asset_inventory_lines",
    "DROP TRIGGER IF EXISTS asset_guard_update ON assets",
    "DROP FUNCTION IF EXISTS asset_inventory_guard()",
    "DROP FUNCTION IF EXISTS asset_line_guard()",
    "DROP FUNCTION IF EXISTS asset_guard()",
)


def create_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_DROP if dialect == "postgresql" else SQLITE_DROP
