"""Threads from parent links alone, never subject guessing; a placeholder stands for a missing parent.

After public-inbox's SearchThread: a reply whose parent is not shown (not published, not yet
arrived, or in a loop) still appears, under a placeholder or as a root; nothing is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.record.models import Post


@dataclass
class Node:
    post: Any  # a Post (a Link while threading); None: a placeholder for a missing parent
    message_id: str
    children: list[Node] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        first = self.post or (self.children[0].post if self.children else None)
        return (first.received_at, first.id) if first else ((), 0)


def build_threads(posts: list[Post]) -> list[Node]:
    """Roots in date order, each with its replies nested in date order."""
    nodes = {post.message_id: Node(post, post.message_id) for post in posts}
    by_id = {post.id: post.message_id for post in posts}
    attached: dict[str, str] = {}  # child -> the parent it was actually hung under
    roots: list[Node] = []
    placeholders: dict[str, Node] = {}
    for post in sorted(posts, key=lambda p: (p.received_at, p.id)):
        parent_id = by_id.get(post.parent_id) if post.parent_id else post.parent_message_id
        node = nodes[post.message_id]
        if parent_id in nodes and not _creates_loop(attached, post.message_id, parent_id):
            nodes[parent_id].children.append(node)
            attached[post.message_id] = parent_id
        elif parent_id and parent_id not in nodes:
            if parent_id not in placeholders:
                placeholders[parent_id] = Node(None, parent_id)
                roots.append(placeholders[parent_id])
            placeholders[parent_id].children.append(node)
        else:
            roots.append(node)
    for node in [*nodes.values(), *placeholders.values()]:
        node.children.sort(key=lambda n: n.sort_key)
    return sorted(roots, key=lambda n: n.sort_key)


def _creates_loop(attached: dict[str, str], child: str, parent: str) -> bool:
    """Would hanging `child` under `parent` close a cycle (A replies to B replies to A)?"""
    current: str | None = parent
    while current is not None:
        if current == child:
            return True
        current = attached.get(current)
    return False


def flatten(roots: list[Node], depth: int = 0) -> list[tuple[Node, int]]:
    """(node, depth) in reading order, for templates and feeds."""
    out: list[tuple[Node, int]] = []
    for node in roots:
        out.append((node, depth))
        out.extend(flatten(node.children, depth + 1))
    return out
