"""Every setting is documented in config/defaults.toml, a comment above each (after Datasette's test_docs)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources

import pytest

from config.calendar import PHASE_KEYS
from config.imap import IMAP_KEYS, parse_imap
from config.settings import SECTIONS
from config.spaces import QUESTION_KEYS, SPACE_KEYS, parse_spaces

TEXT = resources.files("config").joinpath("defaults.toml").read_text("utf-8")
LINES = TEXT.splitlines()
EXAMPLE_START = "# [[spaces]]"
QUESTIONS_START = "# [[spaces.questions]]"


def documented() -> dict[str, str]:
    """section.key -> the previous non-blank line before its `key = ` line."""
    found: dict[str, str] = {}
    section, previous = "", ""
    for line in LINES:
        if match := re.match(r"^\[(\w+)\]\s*$", line):
            section = match.group(1)
        elif match := re.match(r"^(\w+)\s*=", line):
            found[f"{section}.{match.group(1)}"] = previous
        if line.strip():
            previous = line
    return found


def example() -> str:
    """The commented [[spaces]] example that ends the file."""
    assert TEXT.count(EXAMPLE_START) == 1, "defaults.toml should end with one commented [[spaces]] example"
    return TEXT[TEXT.index(EXAMPLE_START) :]


ALL_KEYS = [
    f"{section}.{field.name}" for section, cls in SECTIONS.items() for field in dataclasses.fields(cls)
]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_setting_is_documented_with_a_comment_above_it(key):
    keys = documented()
    assert key in keys, f"{key} is missing from config/defaults.toml"
    assert keys[key].startswith("#"), f"{key} has no comment line above it in config/defaults.toml"


def test_defaults_toml_has_exactly_the_settings_sections_and_keys():
    assert set(documented()) == set(ALL_KEYS)
    parsed = tomllib.loads(TEXT)
    assert set(parsed) == set(SECTIONS)
    for section, cls in SECTIONS.items():
        assert set(parsed[section]) == {f.name for f in dataclasses.fields(cls)}, section


@pytest.mark.parametrize("key", ALL_KEYS)
def test_default_has_the_type_of_its_field(key):
    section, name = key.split(".")
    [field] = [f for f in dataclasses.fields(SECTIONS[section]) if f.name == name]
    # annotations are strings (from __future__ import annotations): "int", "str", "bool", "float"
    assert type(tomllib.loads(TEXT)[section][name]).__name__ == field.type, key


@pytest.mark.parametrize("key", sorted(SPACE_KEYS - {"questions", "phases"}))
def test_space_key_is_in_the_commented_example(key):
    assert re.search(rf"^#\s*{key}\s*=", example(), re.MULTILINE), f"spaces.{key} is not in the example"


def test_questions_and_phases_are_in_the_commented_example():
    assert {"questions", "phases"} <= SPACE_KEYS
    assert QUESTIONS_START in example()
    phases = example()[example().index("# [[spaces.phases]]") :]
    for key in PHASE_KEYS:
        assert re.search(rf"^#\s*{key}\s*=", phases, re.MULTILINE), f"phases.{key} is not in the example"


@pytest.mark.parametrize("key", sorted(QUESTION_KEYS))
def test_question_key_is_in_the_commented_example(key):
    questions = example()[example().index(QUESTIONS_START) :]
    assert re.search(rf"^#\s*{key}\s*=", questions, re.MULTILINE), f"questions.{key} is not in the example"


def test_the_commented_example_is_a_valid_space():
    uncommented = "\n".join(line[2:] if line.startswith("# ") else "" for line in example().splitlines())
    spaces = parse_spaces("defaults.toml", tomllib.loads(uncommented)["spaces"], "hub.example.org", "en")
    [space] = spaces
    assert space.slug == "unece-review" and space.question(1) is not None
    assert space.phase(1).questions == (1,)


IMAP_START = "# [[imap]]"


def imap_example() -> str:
    return TEXT[TEXT.index(IMAP_START) : TEXT.index(EXAMPLE_START)]


@pytest.mark.parametrize("key", sorted(IMAP_KEYS))
def test_imap_key_is_in_the_commented_example(key):
    assert re.search(rf"^#\s*{key}\s*=", imap_example(), re.MULTILINE), f"imap.{key} is not in the example"


def test_the_commented_imap_example_is_a_valid_account():
    lines = [line[2:] for line in imap_example().splitlines() if re.match(r"^# (\[\[imap\]\]|\w+ =)", line)]
    blocks = tomllib.loads("\n".join(lines))["imap"]
    [account] = parse_imap("defaults.toml", blocks, "hub.example.org", {"unece-review"})
    assert account.name == "consult" and account.tls == "implicit" and account.port == 993
