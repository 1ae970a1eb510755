"""Roles per space (moderator, member, reader) and sign-in by emailed link."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("space.id"), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.UniqueConstraint("space_id", "address"),
    )
    op.create_index("ix_member_space_id", "member", ["space_id"])
    op.create_index("ix_member_address", "member", ["address"])
    op.create_table(
        "sign_in",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_sign_in_address", "sign_in", ["address"])


def downgrade() -> None:
    op.drop_table("sign_in")
    op.drop_table("member")
