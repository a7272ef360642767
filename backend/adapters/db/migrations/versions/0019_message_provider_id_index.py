"""messages by provider id alone: delivery reports name only the provider's message id

Revision ID: 0019
Revises: 0018

Twilio's and Meta's status callbacks (queued, sent, delivered, read, failed: several per
outbound message) carry the provider's id and nothing of ours, so `apply_status` finds the
message by that id across all conversations. The unique key (conversation_id,
provider_message_id) cannot serve that lookup; without this index every delivery report scans the
whole messages table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_provider_message_id", "messages", ["provider_message_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_provider_message_id", table_name="messages")
