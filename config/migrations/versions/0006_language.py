"""The consultation lifecycle: a post's detected language."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default=""))
        batch.create_index("ix_post_language", ["language"])


def downgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.drop_index("ix_post_language")
        batch.drop_column("language")
