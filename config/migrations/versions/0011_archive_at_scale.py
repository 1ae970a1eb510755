"""An archive that stays fast at 100,000 posts: threads paged from an index, the pinned summary
found without a scan, and on PostgreSQL a stored, GIN-indexed vector that ranking can read."""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

VECTOR = (
    "to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(body_text, '') || ' ' || "
    "coalesce(from_name, '') || ' ' || coalesce(from_addr, ''))"
)


def upgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.drop_index("ix_post_space_status_question")
        post.create_index(
            "ix_post_space_status_question", ["space_id", "status", "question_id", "thread_id", "received_at"]
        )
        post.create_index("ix_post_space_summary", ["space_id", "is_summary", "status", "published_at"])
    if op.get_bind().dialect.name == "postgresql":
        # ts_rank reads the vector: an expression index alone would make it recompute every match.
        op.execute("DROP INDEX IF EXISTS ix_post_search")
        op.execute(
            f"ALTER TABLE post ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_post_search ON post USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_post_search")
        op.execute("ALTER TABLE post DROP COLUMN search_vector")
    with op.batch_alter_table("post") as post:
        post.drop_index("ix_post_space_summary")
        post.drop_index("ix_post_space_status_question")
        post.create_index("ix_post_space_status_question", ["space_id", "status", "question_id"])
