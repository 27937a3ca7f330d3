"""faqversion: one counter row per space, bumped by the database whenever the FAQ's documents may change;
the outbox's insert sentinel (an event's outbox rows in one INSERT on SQLite)

Every new SOS question asked the FAQ index whether it is current with a fingerprint of the space's
rows: a count and maxima over its resolved questions and over its curated entries, and the erasure
generation (three reads, the first one growing with the resolved questions, issue 17). Triggers now
bump `faq_versions.version` of the space in the writing transaction itself, on every change of a
resolved question (resolved, reopened, edited, deleted) and of a curated entry, whatever code path
or instance wrote it: the index reads one row per space and rebuilds its fingerprint only when that
counter moved. Triggers rather than calls in the code: a path that forgets to bump would leave every
instance's index stale silently.

Revision ID: faqversion
Revises: faqgrow
"""

from alembic import op

revision = "faqversion"
down_revision = "faqgrow"
branch_labels = None
depends_on = None

# Two counters: `resolutions` counts questions becoming resolved (the index appends them), `version`
# every other change its documents depend on (it re-reads them). A resolved question updated in a
# column the index does not read (the asker's last post) bumps neither.
_BUMP = ("INSERT INTO faq_versions (space_id, {column}) VALUES ({space}, 1) "
         "ON CONFLICT (space_id) DO UPDATE SET {column} = faq_versions.{column} + 1")
_READ = ("status", "resolved_at", "resolution", "title", "accepted_post_id", "space_id", "post_id", "platform",
         "platform_channel_id", "thread_root_id")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _READ)

# (trigger name, event, table, condition, [(row whose space is bumped, counter)])
_TRIGGERS = (
    ("faq_version_question_insert", "INSERT", "questions", "NEW.status = 'resolved'", [("NEW", "resolutions")]),
    ("faq_version_question_resolved", "UPDATE", "questions",
     "OLD.status <> 'resolved' AND NEW.status = 'resolved'", [("NEW", "resolutions")]),
    ("faq_version_question_update", "UPDATE", "questions", f"OLD.status = 'resolved' AND ({_CHANGED})",
     [("OLD", "version"), ("NEW", "version")]),
    ("faq_version_question_delete", "DELETE", "questions", "OLD.status = 'resolved'", [("OLD", "version")]),
    ("faq_version_entry_insert", "INSERT", "faq_entries", "true", [("NEW", "version")]),
    ("faq_version_entry_update", "UPDATE", "faq_entries", "true", [("OLD", "version"), ("NEW", "version")]),
    ("faq_version_entry_delete", "DELETE", "faq_entries", "true", [("OLD", "version")]),
)


def upgrade() -> None:
    import sqlalchemy as sa

    op.create_table(
        "faq_versions",
        sa.Column("space_id", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resolutions", sa.Integer, nullable=False, server_default="0"),
    )
    # The outbox's insert sentinel (bot/db/models.py): an event's rows in one INSERT on SQLite as on
    # PostgreSQL (the ORM matches the ids SQLite returns to the rows by it). Nullable: nothing to fill.
    op.add_column("outbox", sa.Column("insert_sentinel", sa.Integer, nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, event, table, when, rows in _TRIGGERS:
        bumps = [_BUMP.format(space=f"{row}.space_id", column=column) for row, column in rows]
        if postgres:
            body = "".join(f"  {b};\n" for b in bumps)
            ret = "NEW" if event != "DELETE" else "OLD"
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}"
                       f"  RETURN {ret};\nEND\n$$")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN ({when}) "
                       f"EXECUTE FUNCTION {name}()")
        else:
            body = "".join(f"  {b};\n" for b in bumps)
            cond = "1" if when == "true" else when.replace("IS DISTINCT FROM", "IS NOT")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN {cond}\nBEGIN\n{body}END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _event, table, _when, _rows in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("faq_versions")
    op.drop_column("outbox", "insert_sentinel")
