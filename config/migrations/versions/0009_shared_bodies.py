"""Letters composed once for many recipients: outgoing_body, and outbox rows that refer to one."""

import sqlalchemy as sa
from alembic import op

from config.database import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_body",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column(
                "body_id",
                sa.Integer(),
                sa.ForeignKey("outgoing_body.id", name="fk_outbox_body"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("personal", sa.JSON(), nullable=True))
        batch.create_index("ix_outbox_body_id", ["body_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_body_id")
        batch.drop_column("personal")
        batch.drop_column("body_id")
    op.drop_table("outgoing_body")
