"""What publishing does to the record: the display HTML is made safe once, and the post indexed."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.display import body_html
from archive.record.models import Post
from archive.record.search import index_post


def prepare_for_display(session: Session, post: Post) -> None:
    """Sanitize once, at publication (or after an edit), and store the result (issue 4 "Safety")."""
    post.display_html = body_html(post.body_text, post.body_html)
    session.add(post)
    session.flush()
    index_post(session, post)
