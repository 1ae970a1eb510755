"""Review by several moderators: each moderator's verdict on a held post, once per post (issue 16).
Decisions taken before are carried over, so the report counts them too."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("moderator", sa.String(320), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("post_id", "moderator"),
    )
    op.create_index("ix_review_post_id", "review", ["post_id"])
    # Before issue 16 the first approve or reject decided: one per post, carried over as its review.
    op.execute(
        "INSERT INTO review (post_id, moderator, verdict, at) "
        "SELECT post_id, moderator, MIN(action), MIN(decided_at) FROM decision "
        "WHERE action IN ('approve', 'reject') GROUP BY post_id, moderator"
    )


def downgrade() -> None:
    op.drop_index("ix_review_post_id", "review")
    op.drop_table("review")
