"""outbox: delivery ordered per conversation; failed rows dated

Rows still unsent when upgrading get the conversation "legacy:<platform>": they keep the old
per-platform order among themselves, and everything queued after the upgrade is per conversation.

Revision ID: outbox_conversations
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "outbox_conversations"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
