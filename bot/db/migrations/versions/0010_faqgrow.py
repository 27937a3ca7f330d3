"""faqgrow: the FAQ index's freshness reads without a table lookup per resolved question (issue 17)

Every new question reads a fingerprint of its space's resolved questions (count, latest resolution,
latest id) and, once something was resolved, the questions resolved since then. On `(space_id,
status)` each resolved question cost a lookup of its row for `resolved_at` (72 ms per question at
100,000 resolved on SQLite); with `resolved_at` in the index the count is an index-only scan and the
"resolved since" read a range. `ix_questions_space_status` stays: with only the new one SQLite's
planner reads the documents (`load_documents`, ordered by id) by a scan of the table.

Revision ID: faqgrow
Revises: sos3
"""

from alembic import op

revision = "faqgrow"
down_revision = "sos3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_questions_space_status_resolved", "questions", ["space_id", "status", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_questions_space_status_resolved", "questions")
