"""runtime: outbox delivery ordered per conversation, failed rows dated; event failures kept for a replay

Outbox rows still unsent when upgrading get the conversation "legacy:<platform>": they keep the old
per-platform order among themselves, and everything queued after the upgrade is per conversation.

Revision ID: runtime
Revises: sos_policy
"""

import sqlalchemy as sa
from alembic import op

revision = "runtime"
down_revision = "sos_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("event_failures",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("platform", sa.String(length=20), nullable=False),
    sa.Column("event_id", sa.String(length=255), nullable=False),
    sa.Column("handler", sa.String(length=200), nullable=False),
    sa.Column("post_id", sa.Integer(), nullable=True),
    sa.Column("error", sa.String(length=100), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("replayed_at", sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("platform", "event_id", "handler")
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation", sa.String(length=600), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(), nullable=True))
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_due", ["status", "platform", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_conversation", ["conversation", "status", "id"], unique=False)
    op.execute("UPDATE outbox SET conversation = 'legacy:' || platform WHERE status IN ('pending', 'sending')")
    op.execute("UPDATE outbox SET failed_at = next_attempt_at WHERE status = 'failed'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("conversation", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_conversation")
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_pending", ["status", "next_attempt_at"], unique=False)
        batch_op.drop_column("failed_at")
        batch_op.drop_column("conversation")
    op.drop_table("event_failures")
