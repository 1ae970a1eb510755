"""A question's thread list, newest activity first, read from the index alone: published_at joins
the index its threads are grouped by (archive.record.thread_list; issue 15)."""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NAME = "ix_post_space_status_question"
BEFORE = ["space_id", "status", "question_id", "thread_id", "received_at"]


def upgrade() -> None:
    op.drop_index(NAME, "post")
    op.create_index(NAME, "post", [*BEFORE, "published_at"])


def downgrade() -> None:
    op.drop_index(NAME, "post")
    op.create_index(NAME, "post", BEFORE)
