"""sos_rota_holes: warnings that a coming week of the on-call rota has a hole

Revision ID: sos_rota_holes
Revises: hot_path_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "sos_rota_holes"
down_revision = "hot_path_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sos_rota_warnings",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("space_id", sa.String(length=100), nullable=False),
    sa.Column("week_start", sa.Date(), nullable=False),
    sa.Column("member_id", sa.Integer(), nullable=False),
    sa.Column("reason", sa.String(length=20), nullable=False),
    sa.Column("holes", sa.String(length=500), nullable=False),
    sa.Column("sent_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["member_id"], ["members.id"], ),
    sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("sos_rota_warnings", schema=None) as batch_op:
        batch_op.create_index("ix_rota_warnings_space_week", ["space_id", "week_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sos_rota_warnings", schema=None) as batch_op:
        batch_op.drop_index("ix_rota_warnings_space_week")
    op.drop_table("sos_rota_warnings")
