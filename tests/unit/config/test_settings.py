"""Loading settings: defaults, paths, environment overrides, and a clear error for each mistake."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from config import ConfigError, find_config_path, load_settings

MINIMAL = """
[site]
secret_key = "s3cret"

[[spaces]]
slug = "unece-review"
title = "Review"
moderators = ["mia@un.example"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hubmail.toml"
    path.write_text(text, "utf-8")
    return path


def load(tmp_path: Path, text: str, env: dict | None = None):
    return load_settings(write(tmp_path, text), env=env or {})


def test_minimal_file_gets_documented_defaults(tmp_path):
    settings = load(tmp_path, MINIMAL)
    assert settings.site.domain == "hub.example.org" and settings.smtp.listen == "127.0.0.1:2525"
    assert settings.smtp.protocol == "smtp" and settings.smtp.max_message_bytes == 26214400
    assert settings.outbound.port == 25 and settings.web.listen == "127.0.0.1:8080"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.site.domain = "x.example"  # type: ignore[misc]


def test_data_dir_is_relative_to_the_config_file_and_sqlite_lives_there(tmp_path):
    settings = load(tmp_path, MINIMAL)
    assert settings.data_path == (tmp_path / "data").resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'hubmail.sqlite3'}"
    other = load(
        tmp_path,
        MINIMAL.replace(
            'secret_key = "s3cret"', 'secret_key = "s3cret"\ndatabase = "postgresql+psycopg://h/db"'
        ),
    )
    assert other.database_url == "postgresql+psycopg://h/db"


def test_config_path_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_config_path("given.toml", {"HUBMAIL_CONFIG": "env.toml"}) == tmp_path / "given.toml"
    assert find_config_path(None, {"HUBMAIL_CONFIG": "env.toml"}) == tmp_path / "env.toml"
    assert find_config_path(None, {}) == tmp_path / "hubmail.toml"


def test_environment_overrides(tmp_path):
    env = {
        "HUBMAIL_SMTP_LISTEN": "127.0.0.1:2600",
        "HUBMAIL_SMTP_MAX_MESSAGE_BYTES": "1000",
        "HUBMAIL_WORKER_POLL_SECONDS": "0.5",
        "HUBMAIL_SITE_DOMAIN": "consult.example.org",
    }
    settings = load(tmp_path, MINIMAL, env)
    assert settings.smtp.listen == "127.0.0.1:2600" and settings.smtp.max_message_bytes == 1000
    assert settings.worker.poll_seconds == 0.5 and settings.site.domain == "consult.example.org"


def test_environment_override_that_is_not_a_number(tmp_path):
    with pytest.raises(ConfigError, match="HUBMAIL_SMTP_MAX_MESSAGE_BYTES: 'lots' is not a number"):
        load(tmp_path, MINIMAL, {"HUBMAIL_SMTP_MAX_MESSAGE_BYTES": "lots"})


@pytest.mark.parametrize(
    "change, key, problem",
    [
        ("[site\n", "", "not valid TOML"),
        ("[mystery]\nx = 1\n", "mystery", "unknown section or key"),
        ("[smtp]\nspeed = 3\n", "smtp.speed", "unknown key"),
        ('[smtp]\nmax_message_bytes = "big"\n', "smtp.max_message_bytes", "must be int"),
        ("[smtp]\nmax_message_bytes = true\n", "smtp.max_message_bytes", "must be int"),
        ('[smtp]\nprotocol = "esmtp"\n', "smtp.protocol", "must be smtp or lmtp"),
        ('[smtp]\nlisten = "nohost"\n', "smtp.listen", "is not HOST:PORT"),
        ('[web]\nlisten = "127.0.0.1:99999"\n', "web.listen", "is not HOST:PORT"),
        ("smtp = 3\n", "smtp", "must be a table"),
    ],
)
def test_each_mistake_names_file_key_and_problem(tmp_path, change, key, problem):
    path = write(tmp_path, change + MINIMAL)
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert str(path) in str(error.value) and problem in str(error.value)
    assert error.value.key == key


@pytest.mark.parametrize(
    "site, key, problem",
    [
        ('domain = "not a domain"', "site.domain", "is not a domain name"),
        ('language = "english"', "site.language", "is not a language code"),
        ('secret_key = "change-me"', "site.secret_key", "set a secret"),
        ('secret_key = ""', "site.secret_key", "set a secret"),
    ],
)
def test_site_mistakes(tmp_path, site, key, problem):
    replacement = site if "secret_key" in site else f'secret_key = "s3cret"\n{site}'
    text = MINIMAL.replace('secret_key = "s3cret"', replacement)
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    assert error.value.key == key and problem in error.value.problem


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"no such file .*hubmail init"):
        load_settings(tmp_path / "absent.toml", env={})
