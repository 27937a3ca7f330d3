"""declaration levels: the level declared (/positionner) and the level validated

Revision ID: declaration_levels
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "declaration_levels"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("validated_level", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_column("validated_level")
        batch_op.drop_column("level")
