"""Review by several moderators in the configuration (issue 16): what parses, and a clear error for
each rule that cannot work."""

from __future__ import annotations

import tomllib

import pytest

from config import ConfigError
from config.review import ReviewConfig, fewest_covering
from config.spaces import parse_spaces

MIA, IVANA, OLA, SAM = "mia@un.example", "ivana@un.example", "ola@ngo.example", "sam@academia.example"
SPACE = f"""
[[spaces]]
slug = "practices"
moderators = ["{MIA}", "{IVANA}", "{OLA}", "{SAM}"]
moderator_groups = {{ un = ["{MIA}", "Ivana@UN.example"], others = ["{OLA}", "{SAM}"] }}
review = {{ approvals = 2, from_groups = ["un", "others"] }}
"""
GROUPS = f'moderator_groups = {{ un = ["{MIA}", "Ivana@UN.example"], others = ["{OLA}", "{SAM}"] }}'
RULE = 'review = { approvals = 2, from_groups = ["un", "others"] }'


def space(text: str = SPACE):
    [parsed] = parse_spaces("hubmail.toml", tomllib.loads(text)["spaces"], "hub.example.org", "en")
    return parsed


def mistake(old: str, new: str) -> ConfigError:
    assert old in SPACE
    with pytest.raises(ConfigError) as raised:
        space(SPACE.replace(old, new))
    return raised.value


def test_the_issue_example_parses():
    review = space().review
    assert (review.approvals, review.from_groups, review.reject_needs) == (2, ("un", "others"), 1)
    assert review.groups == {"un": (MIA, IVANA), "others": (OLA, SAM)}  # addresses as moderators are
    assert not review.plain


def test_no_review_is_one_approval_as_before():
    review = space(SPACE.replace(RULE, "").replace(GROUPS, "")).review
    assert review == ReviewConfig() and review.plain and review.published_by([MIA])


def test_reject_needs_can_be_set():
    assert space(SPACE.replace("approvals = 2,", "approvals = 2, reject_needs = 2,")).review.reject_needs == 2


@pytest.mark.parametrize(
    "old, new, key, problem",
    [
        (GROUPS, GROUPS.replace(SAM, "tom@academia.example"), "moderator_groups.others",
         "tom@academia.example is not in this space's moderators"),
        (GROUPS, 'moderator_groups = { un = [] }', "moderator_groups.un", "must be a non-empty list"),
        (GROUPS, 'moderator_groups = ["un"]', "moderator_groups", "must be a table"),
        (GROUPS, 'moderator_groups = { "u n" = ["mia@un.example"] }', "moderator_groups.u n", "group name"),
        (RULE, "review = { approvals = 5 }", "review.approvals", "5 is more than this space's 4 moderators"),
        (RULE, "review = { approvals = 0 }", "review.approvals", "0 is not a number from 1"),
        (RULE, 'review = { approvals = "2" }', "review.approvals", "is not a number from 1"),
        (RULE, "review = { reject_needs = 9 }", "review.reject_needs", "more than this space's 4 moderators"),
        (RULE, 'review = { from_groups = ["un", "ngo"] }', "review.from_groups",
         "'ngo' is not a moderator group (known: un, others)"),
        (RULE, 'review = { approvals = 2, from_groups = ["un", "un"] }', "review.from_groups", "twice"),
        (RULE, 'review = { approvals = 1, from_groups = ["un", "others"] }', "review.from_groups",
         "one approval from each of un, others takes at least 2 moderators, more than approvals = 1"),
        (RULE, "review = { approvals = 2, quorum = 3 }", "review.quorum", "unknown key"),
    ],
)  # fmt: skip
def test_review_mistakes_are_clear(old, new, key, problem):
    error = mistake(old, new)
    assert error.key == f"spaces.practices.{key}" and problem in error.problem, error


def test_no_groups_and_from_groups_says_how_to_fix_it():
    error = mistake(GROUPS, "")
    assert "'un' is not a moderator group (known: none: set moderator_groups)" in error.problem


def test_a_moderator_in_two_groups_can_cover_both():
    overlapping = SPACE.replace(f'others = ["{OLA}", "{SAM}"]', f'others = ["{OLA}", "{MIA}"]')
    review = space(overlapping.replace("approvals = 2", "approvals = 1")).review
    assert review.published_by([MIA]) and not review.published_by([IVANA])


def test_fewest_covering():
    un, others = {MIA, IVANA}, {OLA, SAM}
    assert fewest_covering([], [MIA]) == 0
    assert fewest_covering([un, others], [MIA, IVANA, OLA]) == 2
    assert fewest_covering([un, others], [MIA, IVANA]) is None
    assert fewest_covering([un, {MIA, OLA}], [MIA, OLA]) == 1
