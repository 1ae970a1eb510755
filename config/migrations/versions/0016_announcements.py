"""Announcements to subscribers (issue 16): a phase opening, a reminder, a summary, once each."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcement_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subscriber_id", sa.Integer(), sa.ForeignKey("subscriber.id"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("subscriber_id", "key"),
    )
    op.create_index("ix_announcement_sent_subscriber_id", "announcement_sent", ["subscriber_id"])


def downgrade() -> None:
    op.drop_index("ix_announcement_sent_subscriber_id", "announcement_sent")
    op.drop_table("announcement_sent")
