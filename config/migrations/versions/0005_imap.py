"""IMAP ingress: UIDVALIDITY and the last UID spooled, per account and folder."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imap_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(300), nullable=False),
        sa.Column("folder", sa.String(300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account", "folder"),
    )


def downgrade() -> None:
    op.drop_table("imap_state")
