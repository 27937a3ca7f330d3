"""faq: curated entries, suggestions shown on arrival, how a question was resolved and by which post;
the bot's delivered messages found by platform id (a ✅ on an acknowledgement)

Revision ID: faq
Revises: runtime
"""

import sqlalchemy as sa
from alembic import op

revision = "faq"
down_revision = "runtime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("faq_entries",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("space_id", sa.String(length=100), nullable=False),
    sa.Column("question_id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=255), nullable=False),
    sa.Column("summary", sa.Text(), nullable=True),
    sa.Column("created_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Column("removed_at", sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ),
    sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ),
    sa.ForeignKeyConstraint(["created_by_id"], ["members.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_faq_entries_space", "faq_entries", ["space_id", "removed_at"], unique=False)
    op.create_table("faq_suggestions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("question_id", sa.Integer(), nullable=False),
    sa.Column("source_question_id", sa.Integer(), nullable=False),
    sa.Column("entry_id", sa.Integer(), nullable=True),
    sa.Column("rank", sa.Integer(), nullable=False),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("shown_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ),
    sa.ForeignKeyConstraint(["source_question_id"], ["questions.id"], ),
    sa.ForeignKeyConstraint(["entry_id"], ["faq_entries.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_faq_suggestions_question", "faq_suggestions", ["question_id"], unique=False)
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("accepted_post_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_questions_accepted_post_id", "posts", ["accepted_post_id"], ["id"])
    op.create_index("ix_outbox_platform_message", "outbox", ["platform", "platform_message_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_platform_message", table_name="outbox")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_questions_accepted_post_id", type_="foreignkey")
        batch_op.drop_column("accepted_post_id")
        batch_op.drop_column("resolution")
    op.drop_index("ix_faq_suggestions_question", table_name="faq_suggestions")
    op.drop_table("faq_suggestions")
    op.drop_index("ix_faq_entries_space", table_name="faq_entries")
    op.drop_table("faq_entries")
