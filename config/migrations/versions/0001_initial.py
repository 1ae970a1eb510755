"""The first schema: spaces, questions, posts and the outbox."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "space",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("visibility", sa.String(), nullable=False),
        sa.Column("posting", sa.String(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("opens", UTCDateTime(), nullable=True),
        sa.Column("closes", UTCDateTime(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_space_slug", "space", ["slug"], unique=True)
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("space_id", "number"),
    )
    op.create_index("ix_question_space_id", "question", ["space_id"])
    _create_post()
    _create_outbox()


def _create_post() -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("question.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("from_addr", sa.String(), nullable=False),
        sa.Column("from_name", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("parent_message_id", sa.String(998), nullable=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("defects", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("envelope_from", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("space_id", "message_id"),
    )
    for column in (
        "space_id",
        "question_id",
        "status",
        "received_at",
        "parent_message_id",
        "parent_id",
        "thread_id",
    ):
        op.create_index(f"ix_post_{column}", "post", [column])


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("envelope_from", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    for column in ("kind", "recipient", "created_at", "next_attempt_at", "status"):
        op.create_index(f"ix_outbox_{column}", "outbox", [column])


def downgrade() -> None:
    for table in ("outbox", "post", "question", "space"):
        op.drop_table(table)
