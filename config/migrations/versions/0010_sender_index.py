"""An index for "has this sender written to the space before", asked of every new post."""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_space_from", "post", ["space_id", "from_addr"])


def downgrade() -> None:
    op.drop_index("ix_post_space_from", "post")
