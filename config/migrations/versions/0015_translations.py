"""Translations beside the original: a post's text in another language, by the moderators or a
machine, one per post and language (archive.record.translations; issue 16)."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.String(320), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("post_id", "language"),
    )
    op.create_index("ix_translation_post_id", "translation", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_translation_post_id", "translation")
    op.drop_table("translation")
