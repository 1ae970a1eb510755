"""A moderators' edit is what the public gets: the edited message beside the original, and when
(archive.record.edits; issue 14)."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.add_column(sa.Column("edited_raw", sa.LargeBinary(), nullable=True))
        post.add_column(sa.Column("edited_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.drop_column("edited_at")
        post.drop_column("edited_raw")
