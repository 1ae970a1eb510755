"""Review by several moderators (issue 16): a space's moderator groups and how many approvals,
from which groups, publish a post; how many rejections end its review."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from config.errors import ConfigError
from config.tables import check_table

GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
REVIEW_KEYS = {"approvals", "from_groups", "reject_needs"}


@dataclass(frozen=True)
class ReviewConfig:
    """Absent from a space: one approval publishes and one rejection rejects, as before issue 16."""

    approvals: int = 1
    from_groups: tuple[str, ...] = ()
    reject_needs: int = 1
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the space's moderator_groups

    @property
    def plain(self) -> bool:
        """One approval from anyone publishes, one rejection rejects: the notices say nothing of it."""
        return self.approvals == 1 and self.reject_needs == 1 and not self.from_groups

    def missing_groups(self, approvers: Collection[str]) -> tuple[str, ...]:
        """The groups of from_groups none of the approvers belongs to."""
        return tuple(g for g in self.from_groups if not set(self.groups[g]) & set(approvers))

    def still_needed(self, approvers: Collection[str], moderators: Collection[str]) -> int:
        """How many more approvals publish the post, given who approved and who could still."""
        missing = [set(self.groups[g]) for g in self.missing_groups(approvers)]
        others = [m for m in moderators if m not in approvers]
        cover = fewest_covering(missing, others)
        return max(self.approvals - len(set(approvers)), cover if cover is not None else len(missing))

    def published_by(self, approvers: Collection[str]) -> bool:
        return len(set(approvers)) >= self.approvals and not self.missing_groups(approvers)


def fewest_covering(groups: list[set[str]], candidates: Iterable[str]) -> int | None:
    """The fewest candidates that include a member of every group; None if no choice does.
    Spaces have a handful of moderators and groups, so trying the small choices first is quick."""
    people = [c for c in dict.fromkeys(candidates) if any(c in g for g in groups)]
    for size in range(len(groups) + 1):
        for chosen in combinations(people, size):
            if all(g & set(chosen) for g in groups):
                return size
    return None


def parse_groups(file: str, key: str, value: Any, moderators: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """moderator_groups = { un = ["mia@un.example", ...], others = [...] }: members are moderators."""
    if not isinstance(value, dict):
        raise ConfigError(file, key, "must be a table of group = [addresses]")
    groups: dict[str, tuple[str, ...]] = {}
    for name, members in value.items():
        if not GROUP.fullmatch(name):
            raise ConfigError(file, f"{key}.{name}", "is not a group name (letters, digits, - and _)")
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            raise ConfigError(file, f"{key}.{name}", "must be a non-empty list of moderators' addresses")
        lowered = tuple(dict.fromkeys(m.strip().lower() for m in members))
        unknown = [m for m in lowered if m not in moderators]
        if unknown:
            raise ConfigError(
                file, f"{key}.{name}", f"{', '.join(unknown)} is not in this space's moderators"
            )
        groups[name] = lowered
    return groups


def parse_review(
    file: str, key: str, value: Any, moderators: tuple[str, ...], groups: dict[str, tuple[str, ...]]
) -> ReviewConfig:
    """review = { approvals = 2, from_groups = ["un", "others"], reject_needs = 1 }."""
    if value is None:
        return ReviewConfig(groups=groups)
    check_table(file, key, value, REVIEW_KEYS)
    approvals = _count(file, f"{key}.approvals", value.get("approvals", 1), len(moderators))
    reject_needs = _count(file, f"{key}.reject_needs", value.get("reject_needs", 1), len(moderators))
    from_groups = value.get("from_groups", [])
    if not isinstance(from_groups, list) or not all(isinstance(g, str) for g in from_groups):
        raise ConfigError(file, f"{key}.from_groups", "must be a list of group names of moderator_groups")
    for name in from_groups:
        if name not in groups:
            known = ", ".join(groups) or "none: set moderator_groups"
            raise ConfigError(
                file, f"{key}.from_groups", f"{name!r} is not a moderator group (known: {known})"
            )
    if len(set(from_groups)) != len(from_groups):
        raise ConfigError(file, f"{key}.from_groups", "names a group twice")
    fewest = fewest_covering([set(groups[g]) for g in from_groups], moderators)
    if fewest is not None and fewest > approvals:
        raise ConfigError(
            file,
            f"{key}.from_groups",
            f"one approval from each of {', '.join(from_groups)} takes at least {fewest} moderators, "
            f"more than approvals = {approvals}: raise approvals or join groups",
        )
    return ReviewConfig(approvals, tuple(from_groups), reject_needs, groups)


def _count(file: str, key: str, value: Any, moderators: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(file, key, f"{value!r} is not a number from 1")
    if value > moderators:
        raise ConfigError(file, key, f"{value} is more than this space's {moderators} moderators")
    return value
