"""The web archive: each published post's display HTML, and a full-text index."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post") as post:
        post.add_column(sa.Column("display_html", sa.Text(), nullable=False, server_default=""))
        post.add_column(sa.Column("message_hash", sa.String(32), nullable=False, server_default=""))
        post.create_index("ix_post_message_hash", ["message_hash"])
        post.create_index("ix_post_space_status_published", ["space_id", "status", "published_at"])
        post.create_index("ix_post_space_status_question", ["space_id", "status", "question_id"])
    if op.get_bind().dialect.name == "sqlite":
        # rowid = post.id; filled when a post is published (archive.record.search.index_post).
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5(subject, body, author, files, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_post_search ON post USING gin (to_tsvector('simple', "
            "subject || ' ' || body_text || ' ' || from_name || ' ' || from_addr))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE post_search")
    else:
        op.execute("DROP INDEX ix_post_search")
    with op.batch_alter_table("post") as post:
        post.drop_column("display_html")
