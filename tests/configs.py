"""Configuration files for tests: one valid base with two spaces, and overrides by section."""

from __future__ import annotations

from pathlib import Path

from config import Settings, load_settings

SPACES = """
[[spaces]]
slug = "unece-review"
title = "UNECE GCM Regional Review"
moderators = ["mia@un.example", "ivana@un.example"]
languages = ["en", "fr", "ru", "es"]
{dates}

[[spaces.questions]]
number = 1
text = {{ en = "Promising practices?", fr = "Pratiques prometteuses ?" }}

[[spaces.questions]]
number = 2
text = {{ en = "Challenges?", fr = "Défis ?" }}

[[spaces]]
slug = "closed-space"
title = "A closed consultation"
moderators = ["mia@un.example"]
opens = 2020-01-01T00:00:00Z
closes = 2020-02-01T00:00:00Z
"""


def config_text(
    *,
    smtp_port: int = 2525,
    outbound_port: int = 2599,
    protocol: str = "smtp",
    database: str = "",
    dates: str = "",
    extra: str = "",
    web_port: int = 8080,
    max_message_bytes: int = 2_000_000,
) -> str:
    return f"""
[site]
domain = "hub.example.org"
base_url = "http://127.0.0.1:8080"
data_dir = "data"
database = "{database}"
secret_key = "test-secret-key"

[smtp]
listen = "127.0.0.1:{smtp_port}"
protocol = "{protocol}"
max_message_bytes = {max_message_bytes}

[worker]
poll_seconds = 0.2

[outbound]
host = "127.0.0.1"
port = {outbound_port}
timeout = 5

[web]
listen = "127.0.0.1:{web_port}"
{extra}
{SPACES.format(dates=dates)}
"""


def write_config(folder: Path, **options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hubmail.toml"
    path.write_text(config_text(**options), "utf-8")
    return path


def make_settings(folder: Path, **options) -> Settings:
    return load_settings(write_config(folder, **options), env={})


# A space only its members may read (moderated by mo@un.example), for the sign-in tests.
PRIVATE_SPACE = """
[[spaces]]
slug = "inner"
title = "Inner circle"
visibility = "private"
moderators = ["mo@un.example"]
"""


def phases(*spans: tuple[str, object, object, list[int]]) -> str:
    """[[spaces.phases]] blocks of unece-review from (name as TOML, opens, closes, questions).

    Dates are TOML dates or datetimes (written as UTC), so a test can place phases around now.
    """
    blocks = []
    for name, opens, closes, questions in spans:
        blocks.append(
            f"[[spaces.phases]]\nname = {name}\nopens = {_toml_when(opens)}\n"
            f"closes = {_toml_when(closes)}\nquestions = {questions}\n"
        )
    return "\n" + "".join(blocks)


def _toml_when(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else str(value)


# Review by several moderators (issue 16): two approvals, one from each group; `more` adds to the rule.
MIA, IVANA, OLA, SAM = "mia@un.example", "ivana@un.example", "ola@ngo.example", "sam@academia.example"


def review_space(more: str = "") -> str:
    return f"""
[[spaces]]
slug = "practices"
title = "Practices"
moderators = ["{MIA}", "{IVANA}", "{OLA}", "{SAM}"]
moderator_groups = {{ un = ["{MIA}", "{IVANA}"], others = ["{OLA}", "{SAM}"] }}
review = {{ approvals = 2, from_groups = ["un", "others"]{more} }}
"""
