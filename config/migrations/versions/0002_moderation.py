"""Moderation: decisions, trusted senders, command mail, summaries; who decided a post and when."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.add_column(sa.Column("decided_by", sa.String(), nullable=False, server_default=""))
        post.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True))
        post.add_column(sa.Column("published_at", UTCDateTime(), nullable=True))
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("moderator", sa.String(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_decision_post_id", "decision", ["post_id"])
    op.create_table(
        "trusted_sender",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("granted_by", sa.String(), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("space_id", "address"),
    )
    op.create_index("ix_trusted_sender_space_id", "trusted_sender", ["space_id"])
    op.create_table(
        "command_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("from_addr", sa.String(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("kind", "message_id"),
    )
    op.create_table(
        "summary_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("moderator", sa.String(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("space_id", "moderator", "day"),
    )


def downgrade() -> None:
    for table in ("summary_sent", "command_mail", "trusted_sender", "decision"):
        op.drop_table(table)
    with op.batch_alter_table("post") as post:
        for column in ("published_at", "decided_at", "decided_by"):
            post.drop_column(column)
