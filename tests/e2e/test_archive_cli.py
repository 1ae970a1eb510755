"""`hubmail archive import` then `export`: threads kept, duplicates skipped, every local link resolves,
a second export writes nothing, worker processes write the same files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.support.hubserver import HubServer

TOOL = Path(__file__).resolve().parents[3] / "shared" / "tools" / "make_corpus.py"


@pytest.fixture()
def mbox(tmp_path) -> Path:
    if not TOOL.exists():
        pytest.skip(f"the shared corpus generator is not beside this checkout ({TOOL})")
    out = tmp_path / "list.mbox"
    subprocess.run(
        [sys.executable, str(TOOL), "--n", "60", "--seed", "3", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def test_import_then_export(tmp_path, mbox):
    hub = HubServer(tmp_path / "hub", 9)
    first = hub.cli("archive", "import", str(mbox), "--space", "unece-review", "--question", "1", "--publish")
    assert b"stored 60, skipped 0 duplicates" in first.stdout
    again = hub.cli("archive", "import", str(mbox), "--space", "unece-review", "--publish")
    assert b"stored 0, skipped 60 duplicates" in again.stdout
    posts = hub.posts("--space", "unece-review")
    assert len(posts) == 60 and all(p["status"] == "published" for p in posts)
    replies = [p for p in posts if p["parent_message_id"]]
    assert replies and all(p["parent_id"] for p in replies)  # every reply found its parent
    assert hub.cli("archive", "import", str(mbox), "--space", "nope", check=False).returncode == 1

    site = tmp_path / "site"
    result = hub.cli("archive", "export", str(site))
    assert b"wrote" in result.stdout
    assert (site / "index.html").exists() and (site / "unece-review" / "q" / "1" / "index.html").exists()
    assert (site / "unece-review" / "feed.atom").exists() and (
        site / "unece-review" / "space.mbox.gz"
    ).exists()
    assert (site / "search" / "index.html").exists()
    pages = list(site.rglob("*.html"))
    assert len(pages) > 60
    missing = {href for page in pages for href in _local_links(page.read_text()) if not _exists(site, href)}
    assert missing <= {"/search"}, sorted(missing)[:10]

    before = _stats(site)
    again = hub.cli("archive", "export", str(site))
    assert b"wrote 0 files" in again.stdout and _stats(site) == before  # nothing changed, nothing written
    parallel = tmp_path / "parallel"
    hub.cli("archive", "export", str(parallel), "--jobs", "2")  # worker processes started by the script
    assert {name: data for name, (data, *_) in _stats(parallel).items()} == {
        name: data for name, (data, *_) in before.items()
    }


def _stats(folder: Path) -> dict[str, tuple]:
    """Each file's bytes, inode and mtime; the bytes without what differs each time a file is made
    (pygal's random chart ids, the date feedgen gives a feed without entries)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.name != ".hubmail-export.json":
            data = re.sub(rb"chart-[0-9a-f-]{36}", b"", path.read_bytes())
            if b"<entry>" not in data:
                data = re.sub(rb"<updated>[^<]*</updated>", b"", data)
            found[str(path.relative_to(folder))] = (data, path.stat().st_ino, path.stat().st_mtime_ns)
    return found


def _local_links(html: str) -> list[str]:
    return [h for h in re.findall(r'(?:href|src)="([^"]+)"', html) if h.startswith("/")]


def _exists(site: Path, href: str) -> bool:
    path = unquote(urlsplit(href).path)
    target = site / path.lstrip("/")
    return (target / "index.html").exists() if path.endswith("/") else target.exists()
