"""Loading settings: defaults, paths, environment overrides, and a clear error for each mistake."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from config import ConfigError, Settings, find_config_path, load_settings
from config.settings import SECTIONS
from config.spaces import SpaceConfig

DEFAULTS = tomllib.loads((Path(__file__).parents[3] / "config" / "defaults.toml").read_text("utf-8"))

SPACE = """
[[spaces]]
slug = "unece-review"
title = "Review"
moderators = ["mia@un.example"]
"""


def config_text(site: str = 'secret_key = "s3cret"', extra: str = "") -> str:
    """A minimal valid file: [site] with a secret, any extra sections, then one space."""
    return f"[site]\n{site}\n\n{extra}\n{SPACE}"


def write(tmp_path: Path, text: str, name: str = "hubmail.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def load(tmp_path: Path, text: str | None = None, env: dict | None = None) -> Settings:
    return load_settings(write(tmp_path, config_text() if text is None else text), env=env or {})


def mistake(path: Path, env: dict | None = None) -> ConfigError:
    """Load a bad file; the error must name the file, and its key when it has one."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env or {})
    error = caught.value
    assert str(error).startswith(str(path)), error
    assert error.key in str(error) and error.problem in str(error)
    return error


# -- a minimal valid file --------------------------------------------------------------------------


def test_minimal_file_gives_frozen_dataclasses(tmp_path):
    path = write(tmp_path, config_text())
    settings = load_settings(path, env={})
    assert isinstance(settings, Settings) and settings.path == path
    for section, cls in SECTIONS.items():
        assert type(getattr(settings, section)) is cls
    assert len(settings.spaces) == 1 and isinstance(settings.spaces[0], SpaceConfig)
    assert settings.site.secret_key == "s3cret"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.site.domain = "x.example"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.smtp = settings.smtp  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.spaces[0].title = "Other"  # type: ignore[misc]


def test_every_unset_key_takes_its_value_from_defaults_toml(tmp_path):
    settings = load(tmp_path)
    for section, cls in SECTIONS.items():
        for field in dataclasses.fields(cls):
            if (section, field.name) == ("site", "secret_key"):
                continue
            value = getattr(getattr(settings, section), field.name)
            default = DEFAULTS[section][field.name]
            assert value == default and type(value) is type(default), f"{section}.{field.name}"


def test_documented_defaults_spot_check(tmp_path):
    settings = load(tmp_path)
    assert (settings.site.domain, settings.site.language, settings.site.data_dir) == (
        "hub.example.org",
        "en",
        "data",
    )
    assert (settings.smtp.listen, settings.smtp.protocol) == ("127.0.0.1:2525", "smtp")
    assert settings.smtp.max_message_bytes == 26214400 and settings.smtp.max_recipients == 100
    assert settings.worker.poll_seconds == 1.0 and isinstance(settings.worker.poll_seconds, float)
    assert (settings.outbound.host, settings.outbound.port) == ("127.0.0.1", 25)
    assert settings.moderation.inform_others == "mail" and settings.moderation.require_authenticated is False
    assert (settings.web.listen, settings.web.page_size, settings.web.show_addresses) == (
        "127.0.0.1:8080",
        30,
        False,
    )


def test_values_in_the_file_replace_only_their_defaults(tmp_path):
    settings = load(
        tmp_path,
        config_text(
            'secret_key = "s3cret"\ndomain = "consult.example.org"\nlanguage = "fr"',
            '[smtp]\nprotocol = "lmtp"\nmax_recipients = 5\n[worker]\npoll_seconds = 2\n',
        ),
    )
    assert settings.site.domain == "consult.example.org" and settings.site.language == "fr"
    assert settings.smtp.protocol == "lmtp" and settings.smtp.max_recipients == 5
    assert settings.smtp.listen == "127.0.0.1:2525"  # untouched key keeps its default
    assert settings.worker.poll_seconds == 2.0 and isinstance(settings.worker.poll_seconds, float)
    assert settings.spaces[0].languages == ("fr",)  # a space's default language is the site's


def test_space_lookup(tmp_path):
    settings = load(tmp_path)
    assert settings.space("unece-review") is settings.spaces[0]
    assert settings.space("nope") is None


# -- paths and the database -------------------------------------------------------------------------


def test_data_dir_is_relative_to_the_config_files_folder(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write(tmp_path, config_text(), "etc/hubmail.toml")
    assert load_settings(path, env={}).data_path == (tmp_path / "etc" / "data").resolve()
    path.write_text(config_text('secret_key = "s3cret"\ndata_dir = "../var/hubmail"'), "utf-8")
    assert load_settings(path, env={}).data_path == (tmp_path / "var" / "hubmail").resolve()
    absolute = tmp_path / "absolute"
    path.write_text(config_text(f'secret_key = "s3cret"\ndata_dir = "{absolute.as_posix()}"'), "utf-8")
    assert load_settings(path, env={}).data_path == absolute.resolve()


def test_empty_database_means_sqlite_in_data_dir(tmp_path):
    settings = load(tmp_path)
    expected = (tmp_path / "data").resolve() / "hubmail.sqlite3"
    assert settings.database_url == f"sqlite:///{expected}"
    assert settings.database_url.startswith("sqlite:////")  # an absolute path after sqlite:///


def test_given_database_url_is_used_as_is(tmp_path):
    url = "postgresql+psycopg://hubmail@db.example/hubmail"
    settings = load(tmp_path, config_text(f'secret_key = "s3cret"\ndatabase = "{url}"'))
    assert settings.database_url == url


# -- finding the file -------------------------------------------------------------------------------


def test_explicit_path_comes_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"HUBMAIL_CONFIG": "env.toml"}
    assert find_config_path("given.toml", env) == tmp_path / "given.toml"
    assert find_config_path(tmp_path / "sub" / "given.toml", env) == tmp_path / "sub" / "given.toml"


def test_then_hubmail_config_from_the_env_mapping(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_config_path(None, {"HUBMAIL_CONFIG": "env.toml"}) == tmp_path / "env.toml"
    assert find_config_path(None, {"HUBMAIL_CONFIG": "/etc/hubmail/site.toml"}) == Path(
        "/etc/hubmail/site.toml"
    )


def test_then_hubmail_toml_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBMAIL_CONFIG", str(tmp_path / "from-real-env.toml"))  # only the mapping counts
    found = find_config_path(None, {})
    assert found == tmp_path / "hubmail.toml" and found.is_absolute()


# -- environment overrides --------------------------------------------------------------------------


def test_environment_overrides_string_int_and_float(tmp_path):
    env = {
        "HUBMAIL_SITE_DOMAIN": "consult.example.org",
        "HUBMAIL_SMTP_LISTEN": "127.0.0.1:2600",
        "HUBMAIL_SMTP_MAX_MESSAGE_BYTES": "1000",
        "HUBMAIL_WORKER_POLL_SECONDS": "0.5",
        "HUBMAIL_OUTBOUND_PORT": "2599",
    }
    settings = load(tmp_path, env=env)
    assert settings.site.domain == "consult.example.org" and settings.smtp.listen == "127.0.0.1:2600"
    assert settings.smtp.max_message_bytes == 1000 and type(settings.smtp.max_message_bytes) is int
    assert settings.worker.poll_seconds == 0.5 and type(settings.worker.poll_seconds) is float
    assert settings.outbound.port == 2599


def test_environment_beats_the_file(tmp_path):
    text = config_text(extra="[smtp]\nmax_recipients = 5\n[worker]\npoll_seconds = 3.0\n")
    settings = load(tmp_path, text, {"HUBMAIL_SMTP_MAX_RECIPIENTS": "7", "HUBMAIL_WORKER_POLL_SECONDS": "2"})
    assert settings.smtp.max_recipients == 7
    assert settings.worker.poll_seconds == 2.0 and type(settings.worker.poll_seconds) is float


def test_environment_can_supply_the_secret_key(tmp_path):
    settings = load(tmp_path, config_text(site=""), {"HUBMAIL_SITE_SECRET_KEY": "from-env"})
    assert settings.site.secret_key == "from-env"


def test_environment_booleans(tmp_path):
    assert load(tmp_path, env={"HUBMAIL_WEB_SHOW_ADDRESSES": "yes"}).web.show_addresses is True
    assert load(tmp_path, env={"HUBMAIL_WEB_SHOW_ADDRESSES": "0"}).web.show_addresses is False


@pytest.mark.parametrize(
    "variable, text",
    [
        ("HUBMAIL_SMTP_MAX_MESSAGE_BYTES", "lots"),
        ("HUBMAIL_SMTP_TIMEOUT", "2.5"),
        ("HUBMAIL_OUTBOUND_PORT", ""),
        ("HUBMAIL_WORKER_POLL_SECONDS", "fast"),
    ],
)
def test_environment_override_that_is_not_a_number(tmp_path, variable, text):
    error = mistake(write(tmp_path, config_text()), {variable: text})
    assert error.key == variable and variable in str(error)
    assert error.problem == f"{text!r} is not a number"


def test_environment_overrides_are_validated_like_the_file(tmp_path):
    error = mistake(write(tmp_path, config_text()), {"HUBMAIL_SMTP_PROTOCOL": "esmtp"})
    assert error.key == "smtp.protocol" and "must be smtp or lmtp" in error.problem


# -- mistakes ---------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "absent.toml"
    error = mistake(path)
    assert error.key == "" and "no such file" in error.problem and "hubmail init" in error.problem
    assert str(error) == f"{path}: {error.problem}"


def test_invalid_toml(tmp_path):
    error = mistake(write(tmp_path, "[site\n" + config_text()))
    assert error.key == "" and error.problem.startswith("not valid TOML")


@pytest.mark.parametrize(
    "site, extra, key, problem",
    [
        ('secret_key = "s3cret"', "[mystery]\nx = 1\n", "mystery", "unknown section or key"),
        ('secret_key = "s3cret"', "stray = 1\n", "stray", "unknown section or key"),
        ('secret_key = "s3cret"', "[smtp]\nspeed = 3\n", "smtp.speed", "unknown key"),
        ('secret_key = "s3cret"\ncolour = "red"', "", "site.colour", "unknown key"),
        (
            'secret_key = "s3cret"',
            '[smtp]\nmax_message_bytes = "big"\n',
            "smtp.max_message_bytes",
            "must be int",
        ),
        (
            'secret_key = "s3cret"',
            "[smtp]\nmax_message_bytes = true\n",
            "smtp.max_message_bytes",
            "must be int",
        ),
        ('secret_key = "s3cret"', "[smtp]\ntimeout = 2.5\n", "smtp.timeout", "must be int"),
        ('secret_key = "s3cret"', '[worker]\npoll_seconds = "1"\n', "worker.poll_seconds", "must be float"),
        ('secret_key = "s3cret"', '[web]\nshow_addresses = "no"\n', "web.show_addresses", "must be bool"),
        ('secret_key = "s3cret"\ndomain = 5', "", "site.domain", "must be str"),
        ('secret_key = "s3cret"\ndomain = "not a domain"', "", "site.domain", "is not a domain name"),
        ('secret_key = "s3cret"\ndomain = "localhost"', "", "site.domain", "is not a domain name"),
        ('secret_key = "s3cret"\ndomain = "-hub.example.org"', "", "site.domain", "is not a domain name"),
        ('secret_key = "s3cret"\nlanguage = "english"', "", "site.language", "is not a language code"),
        ('secret_key = "s3cret"\nlanguage = "EN"', "", "site.language", "is not a language code"),
        ("", "", "site.secret_key", "set a secret"),
        ('secret_key = ""', "", "site.secret_key", "set a secret"),
        ('secret_key = "change-me"', "", "site.secret_key", "set a secret"),
        ('secret_key = "s3cret"', '[smtp]\nprotocol = "esmtp"\n', "smtp.protocol", "must be smtp or lmtp"),
        ('secret_key = "s3cret"', '[smtp]\nlisten = "nohost"\n', "smtp.listen", "is not HOST:PORT"),
        ('secret_key = "s3cret"', '[smtp]\nlisten = ":25"\n', "smtp.listen", "is not HOST:PORT"),
        ('secret_key = "s3cret"', '[smtp]\nlisten = "host:port"\n', "smtp.listen", "is not HOST:PORT"),
        ('secret_key = "s3cret"', '[web]\nlisten = "127.0.0.1:99999"\n', "web.listen", "is not HOST:PORT"),
        ('secret_key = "s3cret"', 'smtp = "x"\n', "smtp", "must be a table"),
        (
            'secret_key = "s3cret"',
            '[moderation]\ninform_others = "fax"\n',
            "moderation.inform_others",
            "mail or summary",
        ),
        (
            'secret_key = "s3cret"',
            '[moderation]\nsummary_time = "8:00"\n',
            "moderation.summary_time",
            "is not HH:MM",
        ),
        ('secret_key = "s3cret"', "[moderation]\ntoken_days = 0\n", "moderation.token_days", "at least 1"),
        ('secret_key = "s3cret"', '[dns]\nstatic_records = "none.txt"\n', "dns.static_records", "not a file"),
        ('secret_key = "s3cret"', "[dns]\ntimeout = 0\n", "dns.timeout", "from 0.1 to 30"),
    ],
)
def test_each_mistake_names_file_key_and_problem(tmp_path, site, extra, key, problem):
    path = write(
        tmp_path,
        extra + config_text(site) if extra and not extra.startswith("[") else config_text(site, extra),
    )
    error = mistake(path)
    assert error.key == key and problem in error.problem
    assert str(error).startswith(f"{path}: {key}: ")


def test_wrong_type_message_shows_the_value(tmp_path):
    error = mistake(write(tmp_path, config_text(extra='[smtp]\nmax_recipients = "many"\n')))
    assert error.problem == "must be int, not 'many'"


def test_listen_accepts_host_port_and_bracketed_ipv6(tmp_path):
    from config.settings import split_listen

    assert split_listen("f", "k", "127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert split_listen("f", "k", "[::1]:25") == ("::1", 25)
    assert load(tmp_path, config_text(extra='[smtp]\nlisten = "[::1]:2525"\n')).smtp.listen == "[::1]:2525"


@pytest.mark.parametrize(
    "site, space, key",
    [
        ('domain = "hub.example.org\\n"', "", "site.domain"),
        ('language = "en\\n"', "", "site.language"),
        ("", 'languages = ["en\\n"]', "spaces.unece-review.languages"),
    ],
)
def test_a_trailing_newline_is_not_a_valid_name(tmp_path, site, space, key):
    text = config_text(f'secret_key = "s3cret"\n{site}') + space + "\n"
    error = mistake(write(tmp_path, text))
    assert error.key == key


def test_listen_with_a_non_ascii_digit_port_is_a_config_error(tmp_path):
    error = mistake(write(tmp_path, config_text(extra='[smtp]\nlisten = "127.0.0.1:\u00b2"\n')))
    assert error.key == "smtp.listen"
