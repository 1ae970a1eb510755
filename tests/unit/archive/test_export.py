"""The static export: the app's own answers, the same serial or parallel, and only what changed rewritten."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select
from starlette.testclient import TestClient

from archive.record.importer import import_mbox
from archive.record.models import Post, Question
from archive.record.translations import save_translation
from archive.record.urls import message_hash
from archive.web import export as export_module
from archive.web.app import archive_app
from archive.web.export import export
from archive.web.export_files import MANIFEST
from config.database import session_scope
from gateway.hub import open_hub
from tests.configs import make_settings
from tests.unit.archive.import_corpus import corpus, letter, mbox_file

SLUG = "unece-review"
LIVE_ONLY = {"search/index.html", "signin/index.html", ".htaccess"}  # not pages of the app


@pytest.fixture()
def archive(tmp_path, database):
    """Fifty published posts in threads (a report attached here and there), a few held; four
    threads a question page, so questions run to several pages."""
    hub = open_hub(make_settings(tmp_path / "hub", database=database, extra="page_size = 4"))
    root = hub.settings.data_path / "attachments"
    import_mbox(hub.engine, mbox_file(tmp_path / "a.mbox", corpus(seed=4, count=40)), SLUG, 1, True, root)
    import_mbox(
        hub.engine, mbox_file(tmp_path / "b.mbox", [letter(n) for n in range(100, 106)]), SLUG, 2, True, root
    )
    import_mbox(
        hub.engine,
        mbox_file(tmp_path / "c.mbox", [letter(n) for n in range(200, 203)]),
        SLUG,
        None,
        False,
        root,
    )
    return hub


def files(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every exported file: its bytes, inode and modification time (a rewrite changes the last two)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            stat = path.stat()
            found[path.relative_to(folder).as_posix()] = (path.read_bytes(), stat.st_ino, stat.st_mtime_ns)
    return found


def contents(folder: Path) -> dict[str, bytes]:
    return {name: timeless(data) for name, (data, _, _) in files(folder).items()}


def timeless(data: bytes) -> bytes:
    """What differs each time a file is made: pygal names each chart with a new uuid, and feedgen
    dates a feed without entries with the time it is made."""
    data = re.sub(rb'id="chart-[0-9a-f-]+"', b"", data)
    data = re.sub(rb"#chart-[0-9a-f-]+", b"", data)
    if data.startswith(b"<?xml") and b"<entry>" not in data:
        data = re.sub(rb"<updated>[^<]*</updated>", b"", data)
    return data


def url_of(name: str) -> str:
    return "/" + name.removesuffix("index.html")


def test_every_file_is_what_the_app_answers(archive, tmp_path):
    report = export(archive.settings, archive.engine, tmp_path / "site", jobs=1)
    written = contents(tmp_path / "site")
    assert report.written == len(written) and report.removed == 0
    client = TestClient(archive_app(archive.settings, archive.engine))
    for name, data in written.items():
        if name not in LIVE_ONLY:
            answer = client.get(url_of(name))
            assert answer.status_code == 200 and timeless(answer.content) == data, name
    kinds = {name.split("/")[1] if "/" in name else name for name in written}
    assert {"message", "thread", "q", "stats", "feed.atom", "space.mbox.gz"} <= kinds
    assert any(name.endswith("/0.bin") for name in written) and any(name.endswith("/raw") for name in written)
    assert f"{SLUG}/q/1/page/3/index.html" in written
    held = message_hash("m200@ngo.example")
    assert not any(held in name for name in written)


def test_a_parallel_export_writes_the_same_files_as_a_serial_one(archive, tmp_path, monkeypatch):
    export(archive.settings, archive.engine, tmp_path / "serial", jobs=1)
    monkeypatch.setitem(export_module.TASK_SIZE, "message", 7)  # many tasks, so both workers take some
    export(archive.settings, archive.engine, tmp_path / "parallel", jobs=2)
    assert contents(tmp_path / "parallel") == contents(tmp_path / "serial")


def test_a_second_export_with_nothing_changed_rewrites_no_file(archive, tmp_path):
    site = tmp_path / "site"
    first = export(archive.settings, archive.engine, site, jobs=1)
    before = files(site)
    again = export(archive.settings, archive.engine, site, jobs=1)
    assert (again.written, again.removed) == (0, 0) and again.files == first.files
    assert files(site) == before  # same bytes, same inodes, same mtimes


def test_a_new_post_rewrites_the_pages_it_shows_on_and_nothing_else(archive, tmp_path):
    site = tmp_path / "site"
    export(archive.settings, archive.engine, site, jobs=1)
    before = files(site)
    reply = mbox_file(tmp_path / "reply.mbox", [letter(300, parent=1)])
    import_mbox(archive.engine, reply, SLUG, None, True, archive.settings.data_path / "attachments")
    report = export(archive.settings, archive.engine, site, jobs=1)
    _assert_as_fresh(archive, site, tmp_path / "fresh", before, report)
    new = message_hash("m300@ngo.example")
    assert f"{SLUG}/message/{new}/index.html" in files(site)


@pytest.mark.parametrize("gone", ["m101@ngo.example", "m1@ngo.example"])  # alone; with replies
def test_a_post_taken_from_public_view_is_removed_with_what_showed_it(archive, tmp_path, gone):
    site = tmp_path / "site"
    export(archive.settings, archive.engine, site, jobs=1)
    before = files(site)
    digest = message_hash(gone)
    with session_scope(archive.engine) as session:
        session.exec(update(Post).where(Post.message_id == gone).values(status="rejected"))
    report = export(archive.settings, archive.engine, site, jobs=1)
    assert report.removed >= 2
    assert not any(digest in name for name in files(site)) and any(digest in name for name in before)
    assert not (site / SLUG / "message" / digest).exists()  # its folder went with its files
    _assert_as_fresh(archive, site, tmp_path / "fresh", before, report)


@pytest.mark.parametrize(
    "change",
    [{"display_html": "<p>Edited</p>"}, {"question_id": None}, {"question_id": 1}],
    ids=["edited", "moved-out", "moved-in"],
)
def test_an_edit_or_a_move_rewrites_the_pages_that_show_it(archive, tmp_path, change):
    site = tmp_path / "site"
    export(archive.settings, archive.engine, site, jobs=1)
    before = files(site)
    with session_scope(archive.engine) as session:
        if change.get("question_id"):
            change = {"question_id": session.exec(select(Question.id).where(Question.number == 1)).first()}
        session.exec(update(Post).where(Post.message_id == "m102@ngo.example").values(**change))
    report = export(archive.settings, archive.engine, site, jobs=1)
    _assert_as_fresh(archive, site, tmp_path / "fresh", before, report)


def test_a_translation_rewrites_the_pages_that_show_it_as_the_app_shows_them(archive, tmp_path):
    """The export speaks the space's first language (English here): a post written in French gets
    its English translation on its pages, marked, the original folded below (issue 16)."""
    with session_scope(archive.engine) as session:
        session.exec(update(Post).where(Post.message_id == "m102@ngo.example").values(language="fr"))
    site = tmp_path / "site"
    export(archive.settings, archive.engine, site, jobs=1)
    before = files(site)
    with session_scope(archive.engine) as session:
        post = session.exec(select(Post).where(Post.message_id == "m102@ngo.example")).one()
        save_translation(
            session, post, "en", "In English, by the moderators.", "mia@un.example", post.received_at
        )
    report = export(archive.settings, archive.engine, site, jobs=1)
    _assert_as_fresh(archive, site, tmp_path / "fresh", before, report)
    page = (site / "unece-review" / "message" / message_hash("m102@ngo.example") / "index.html").read_text()
    assert "Translated by the moderators" in page and "In English, by the moderators." in page
    assert '<details class="original">' in page
    client = TestClient(archive_app(archive.settings, archive.engine))
    for name, data in contents(site).items():  # and each page is what the app answers
        if name not in LIVE_ONLY and name.endswith(".html"):
            assert timeless(client.get(url_of(name)).content) == data, name


def _assert_as_fresh(archive, site: Path, fresh: Path, before: dict, report) -> None:
    """The updated folder holds what a new export would, and exactly the files whose bytes changed
    were written (new inode and mtime); every other file was left as it was."""
    export(archive.settings, archive.engine, fresh, jobs=1, full=True)
    after = files(site)
    assert contents(site) == contents(fresh)
    changed = {name for name, (data, _, _) in after.items() if before.get(name, (None,))[0] != data}
    rewritten = {name for name, stat in after.items() if before.get(name) != stat}
    assert rewritten == changed and report.written == len(changed)
    assert changed, "the change shows somewhere"


def test_the_export_stays_inside_its_folder(tmp_path):
    from archive.web.export_files import Writer

    with pytest.raises(ValueError):
        Writer(tmp_path / "site").write("/../outside.html", b"x")
    assert not (tmp_path / "outside.html").exists()
    assert os.listdir(tmp_path) in ([], ["site"])
