"""Indexes for what every new post asks: has its sender written before, had an answer lately."""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_space_from", "post", ["space_id", "from_addr"])
    op.create_index("ix_outbox_kind_recipient_created", "outbox", ["kind", "recipient", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_recipient_created", "outbox")
    op.drop_index("ix_post_space_from", "post")
