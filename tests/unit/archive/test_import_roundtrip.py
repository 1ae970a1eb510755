"""Export then import changes nothing: a post without a Message-ID is known again by its derived id."""

from __future__ import annotations

import gzip

from sqlmodel import func, select

from archive.record.importer import import_mbox
from archive.record.mbox import mbox_gz
from archive.record.models import Post
from config.database import session_scope

MBOX = (
    b"From ana@ngo.example Sat Jan 20 10:00:00 2024\n"
    b"From: Ana <ana@ngo.example>\nSubject: Our practice\n\nCity-level one-stop shops for migrants.\n"
    b"From the start, migrants took part.\n\n"  # written ">From" in the file: mboxrd quoting, below
    b"From bo@ngo.example Sat Jan 20 11:00:00 2024\n"
    b"From: Bo <bo@ngo.example>\nSubject: Re: Our practice\nMessage-ID: <bo1@ngo.example>\n\nAgreed.\n\n"
).replace(b"\nFrom the start", b"\n>From the start")


def test_an_exported_mbox_imported_again_stores_nothing_twice(hub, tmp_path):
    first = tmp_path / "first.mbox"
    first.write_bytes(MBOX)
    report = import_mbox(hub.engine, first, "unece-review", None, True, tmp_path / "attachments")
    assert (report.stored, report.duplicates) == (2, 0)
    with session_scope(hub.engine) as session:
        posts = list(session.exec(select(Post).order_by(Post.id)))
        assert b"\nFrom the start" in posts[0].raw  # the quoting undone: the raw message as written
        exported = gzip.decompress(mbox_gz(posts))
    again = tmp_path / "again.mbox"
    again.write_bytes(exported)
    report = import_mbox(hub.engine, again, "unece-review", None, True, tmp_path / "attachments")
    assert (report.stored, report.duplicates) == (0, 2)
    with session_scope(hub.engine) as session:
        assert session.exec(select(func.count()).select_from(Post)).one() == 2
