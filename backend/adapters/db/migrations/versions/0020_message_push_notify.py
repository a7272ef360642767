"""a NOTIFY when a message nobody asked for is stored, so open web chats get it at once

Revision ID: 0020
Revises: 0019

The web chat's event streams are fed by one poll per backend process (backend/api/web_push.py).
On PostgreSQL this trigger also sends `NOTIFY conversation_push, '<conversation id>'` for every
outbound message that answers nothing (an agent's reply, a code, a receipt, a payout notice),
whatever code stored it. PostgreSQL delivers a notification only when the transaction commits,
so a listener never sees a message it cannot read yet; the process polls at once instead of
within the second. SQLite has no NOTIFY: there the poll alone serves.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "conversation_push"

NOTIFY = f"""
CREATE FUNCTION messages_notify_push() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', NEW.conversation_id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER messages_notify_push AFTER INSERT ON messages
  FOR EACH ROW WHEN (NEW.direction = 'outbound' AND NEW.in_reply_to_id IS NULL)
  EXECUTE FUNCTION messages_notify_push();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS messages_notify_push ON messages")
        op.execute("DROP FUNCTION IF EXISTS messages_notify_push()")
