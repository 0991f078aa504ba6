"""The change notifications the response cache listened for (PostgreSQL), as migrations 0011–0027 installed them.

The cache is gone (migration 0028 drops the function and every table's trigger); the text stays here, unchanged,
because those migrations still install it on the way up and 0028's downgrade puts it back.
"""

CHANNEL = "sunshine_changes"
NOTIFY_FUNCTION = f"""CREATE OR REPLACE FUNCTION sunshine_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');  -- one per transaction: equal notifications are sent once, at commit
    RETURN NULL;
END $$"""
NOTIFY_TRIGGER = "sunshine_notify_change"


def notify_trigger(table: str) -> str:
    """The statement trigger every table carried on PostgreSQL until migration 0028."""
    return (f"CREATE TRIGGER {NOTIFY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sunshine_notify_change()")
