"""Threading by parent links: nesting, missing parents, loops; nothing is ever dropped."""

from __future__ import annotations

import datetime as dt

from archive.record.models import Post
from archive.record.threads import build_threads, flatten

T0 = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)


def post(n: int, parent: str | None = None, parent_id: int | None = None) -> Post:
    return Post(
        id=n,
        space_id=1,
        status="published",
        message_id=f"m{n}",
        parent_message_id=parent,
        parent_id=parent_id,
        received_at=T0 + dt.timedelta(minutes=n),
        raw=b"",
        raw_sha256="",
    )


def shape(roots) -> list[tuple[str, int]]:
    return [
        (node.message_id if node.post else f"[{node.message_id}]", depth) for node, depth in flatten(roots)
    ]


def test_nesting_in_date_order():
    posts = [post(1), post(2, "m1", 1), post(3, "m2", 2), post(4, "m1", 1), post(5)]
    assert shape(build_threads(posts)) == [("m1", 0), ("m2", 1), ("m3", 2), ("m4", 1), ("m5", 0)]


def test_late_parent_found_by_message_id():
    # The reply arrived first (no parent_id), the parent later: still threaded.
    assert shape(build_threads([post(2, "m1"), post(3)])) == [("[m1]", 0), ("m2", 1), ("m3", 0)]
    assert shape(build_threads([post(1), post(2, "m1")])) == [("m1", 0), ("m2", 1)]


def test_missing_parent_gets_one_placeholder_for_all_its_replies():
    roots = build_threads([post(2, "gone"), post(3, "gone"), post(4, "m3")])
    assert shape(roots) == [("[gone]", 0), ("m2", 1), ("m3", 1), ("m4", 2)]


def test_loop_is_broken_not_followed():
    a, b = post(1, "m2"), post(2, "m1")
    assert shape(build_threads([a, b])) == [("m2", 0), ("m1", 1)]
    assert shape(build_threads([post(1, "m1")])) == [("m1", 0)]  # a post that names itself


def test_deep_threads():
    posts = [post(1)] + [post(n, f"m{n - 1}") for n in range(2, 60)]
    assert [depth for _, depth in flatten(build_threads(posts))] == list(range(59))
