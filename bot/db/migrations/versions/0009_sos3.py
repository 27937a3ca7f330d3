"""sos3: an absence declared ahead may say why (`/absent du 19/10 au 30/10 formation`)

Revision ID: sos3
Revises: sos_rota_holes
"""

import sqlalchemy as sa
from alembic import op

revision = "sos3"
down_revision = "sos_rota_holes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sos_absences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sos_absences", schema=None) as batch_op:
        batch_op.drop_column("reason")
