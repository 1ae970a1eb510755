"""Subscriptions: subscribers with their delivery cursor, and the digests sent."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("bounce_score", sa.Float(), nullable=False),
        sa.Column("cursor_at", UTCDateTime(), nullable=True),
        sa.Column("cursor_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("space_id", "address"),
    )
    for column in ("space_id", "address", "status"):
        op.create_index(f"ix_subscriber_{column}", "subscriber", [column])
    op.create_table(
        "digest_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subscriber_id", sa.Integer(), sa.ForeignKey("subscriber.id"), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("first_post_id", sa.Integer(), nullable=False),
        sa.Column("last_post_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_digest_sent_subscriber_id", "digest_sent", ["subscriber_id"])


def downgrade() -> None:
    op.drop_table("digest_sent")
    op.drop_table("subscriber")
