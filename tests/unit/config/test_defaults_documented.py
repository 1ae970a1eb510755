"""Every setting is documented in config/defaults.toml, with a comment above it (after Datasette)."""

from __future__ import annotations

import dataclasses
import re
from importlib import resources

import pytest

from config.settings import SECTIONS
from config.spaces import QUESTION_KEYS, SPACE_KEYS

TEXT = resources.files("config").joinpath("defaults.toml").read_text("utf-8")


def documented_keys() -> dict[str, str]:
    """section.key -> the comment line just above it."""
    found, section, comment = {}, "", ""
    for line in TEXT.splitlines():
        if match := re.match(r"^\[(\w+)\]", line):
            section, comment = match.group(1), ""
        elif line.startswith("#"):
            comment = line
        elif match := re.match(r"^(\w+)\s*=", line):
            found[f"{section}.{match.group(1)}"] = comment
        elif not line.strip():
            comment = ""
    return found


@pytest.mark.parametrize(
    "key",
    [f"{section}.{field.name}" for section, cls in SECTIONS.items() for field in dataclasses.fields(cls)],
)
def test_setting_is_documented_with_a_comment(key):
    keys = documented_keys()
    assert key in keys, f"{key} is missing from config/defaults.toml"
    assert keys[key].startswith("#"), f"{key} has no comment line above it"


def test_documented_keys_all_exist():
    known = {f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    assert set(documented_keys()) <= known


@pytest.mark.parametrize("key", sorted((SPACE_KEYS - {"questions"}) | QUESTION_KEYS))
def test_space_key_is_in_the_commented_example(key):
    example = TEXT[TEXT.index("# [[spaces]]") :]
    assert re.search(rf"^# {key}\s*=", example, re.MULTILINE), key
