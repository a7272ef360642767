"""servicing gaps: a failed payout's cancelled loan no longer blocks the next attempt

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status <> 'cancelled'"


def upgrade() -> None:
    # loans.application_id was unique; now unique among loans that are not cancelled.
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint("uq_loans_application_id", type_="unique")
        batch_op.create_index(
            "uq_loans_live_application",
            ["application_id"],
            unique=True,
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_loans_live_application", postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE)
        )
        batch_op.create_unique_constraint("uq_loans_application_id", ["application_id"])
