"""An archive that stays fast at 100,000 posts: threads paged from an index, the pinned summary and
the languages counted without a scan; on SQLite a search index that also knows each post's space,
question and language (narrowed inside FTS5, ranked with the subject weighted); on PostgreSQL a
stored, GIN-indexed vector that ranking can read."""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

VECTOR = (
    "to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(body_text, '') || ' ' || "
    "coalesce(from_name, '') || ' ' || coalesce(from_addr, ''))"
)

VECTOR_0003 = "to_tsvector('simple', subject || ' ' || body_text || ' ' || from_name || ' ' || from_addr)"


def upgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.drop_index("ix_post_space_status_question")
        post.create_index(
            "ix_post_space_status_question", ["space_id", "status", "question_id", "thread_id", "received_at"]
        )
        post.create_index("ix_post_space_summary", ["space_id", "is_summary", "status", "published_at"])
        post.create_index("ix_post_space_status_language", ["space_id", "status", "language"])
        # Asked for every new post (archive.record.store.adopt_replies): by space and the id it names.
        post.drop_index("ix_post_parent_message_id")
        post.create_index("ix_post_space_parent_message", ["space_id", "parent_message_id"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_index()
    else:
        # ts_rank reads the vector: an expression index alone would make it recompute every match.
        op.execute("DROP INDEX IF EXISTS ix_post_search")
        op.execute(
            f"ALTER TABLE post ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_post_search ON post USING gin (search_vector)")


def _rebuild_sqlite_index() -> None:
    # scope: the words archive.record.search.scope_of writes; rank: bm25 with the subject counting 4 times.
    op.execute("DROP TABLE IF EXISTS post_search")
    op.execute(
        "CREATE VIRTUAL TABLE post_search USING fts5(subject, body, author, files, scope, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute("INSERT INTO post_search (post_search, rank) VALUES ('rank', 'bm25(4.0, 1.0, 1.0, 1.0, 0.0)')")
    op.execute(
        "INSERT INTO post_search (rowid, subject, body, author, files, scope) "
        "SELECT id, subject, body_text, from_name || ' ' || from_addr, "
        "coalesce((SELECT group_concat(json_extract(value, '$.filename'), ' ') "
        "FROM json_each(post.attachments)), ''), "
        "'s' || space_id || ' q' || coalesce(question_id, 0) || "
        "' l' || coalesce(nullif(language, ''), 'und') "
        "FROM post WHERE status = 'published'"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_post_search")
        op.execute("ALTER TABLE post DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX ix_post_search ON post USING gin ({VECTOR_0003})")
    else:  # 0003's index, refilled
        op.execute("DROP TABLE post_search")
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5(subject, body, author, files, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO post_search (rowid, subject, body, author, files) "
            "SELECT id, subject, body_text, from_name || ' ' || from_addr, '' FROM post "
            "WHERE status = 'published'"
        )
    with op.batch_alter_table("post") as post:
        post.drop_index("ix_post_space_parent_message")
        post.create_index("ix_post_parent_message_id", ["parent_message_id"])
        post.drop_index("ix_post_space_status_language")
        post.drop_index("ix_post_space_summary")
        post.drop_index("ix_post_space_status_question")
        post.create_index("ix_post_space_status_question", ["space_id", "status", "question_id"])
