"""[[imap]] blocks: defaults, and a clear error for each way of getting one wrong."""

from __future__ import annotations

import pytest

from config import ConfigError
from config.imap import parse_imap
from tests.configs import make_settings

GOOD = {"host": "imap.example.org", "username": "consult@example.org", "password_env": "IMAP_PASSWORD"}


def parse(**changes):
    block = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return parse_imap("hubmail.toml", [block], "hub.example.org", {"unece-review"})


def test_defaults_fill_in_a_minimal_block():
    [account] = parse()
    assert (account.port, account.tls, account.folder, account.processed_folder) == (
        993, "implicit", "INBOX", "hubmail/processed",
    )  # fmt: skip
    assert account.name == "consult@example.org@imap.example.org/INBOX"
    [plain] = parse(tls="starttls")
    assert plain.port == 143


@pytest.mark.parametrize(
    ("changes", "key", "problem"),
    [
        ({"password": "hunter2"}, "imap[0].password", "never put the password here"),
        ({"passwd_env": "X"}, "imap[0].passwd_env", "unknown key"),
        ({"tls": "ssl"}, "imap[0].tls", "must be implicit, starttls or none"),
        ({"tls": "none"}, "imap[0].tls", "only for 127.0.0.1"),
        ({"password_file": "secret"}, "imap[0]", "exactly one of password_env and password_file"),
        ({"password_env": None}, "imap[0]", "exactly one of password_env and password_file"),
        ({"host": None}, "imap[0].host", "is required"),
        ({"port": 70000}, "imap[0].port", "not a port number"),
        ({"port": "993"}, "imap[0].port", "must be int"),
        ({"idle": "yes"}, "imap[0].idle", "must be bool"),
        (
            {"default_address": "x@elsewhere.org"},
            "imap[0].default_address",
            "not an address at hub.example.org",
        ),
        (
            {"default_address": "nosuch@hub.example.org"},
            "imap[0].default_address",
            "names no configured space",
        ),
        ({"processed_folder": "INBOX"}, "imap[0].processed_folder", "must differ from folder"),
        ({"poll_seconds": 0}, "imap[0].poll_seconds", "at least 1"),
    ],
)
def test_a_wrong_block_is_named_with_its_problem(changes, key, problem):
    with pytest.raises(ConfigError) as error:
        parse(**changes)
    assert error.value.key == key and problem in error.value.problem


def test_tls_none_is_allowed_on_loopback_and_question_addresses_route():
    [account] = parse(tls="none", host="127.0.0.1", default_address="unece-review+q2@hub.example.org")
    assert account.port == 143 and account.default_address == "unece-review+q2@hub.example.org"


def test_two_blocks_with_one_name_are_refused():
    with pytest.raises(ConfigError, match="same name"):
        parse_imap("f", [{**GOOD, "name": "a"}, {**GOOD, "name": "a"}], "hub.example.org", set())


def test_password_comes_from_the_environment_or_a_file(tmp_path):
    [from_env] = parse()
    assert from_env.password({"IMAP_PASSWORD": "s3cret"}, tmp_path) == "s3cret"
    with pytest.raises(ConfigError, match="environment variable IMAP_PASSWORD is not set"):
        from_env.password({}, tmp_path)
    [from_file] = parse(password_env=None, password_file="imap.secret")
    with pytest.raises(ConfigError, match=r"cannot read .*imap\.secret: No such file"):
        from_file.password({}, tmp_path)
    (tmp_path / "imap.secret").write_text("s3cret\n")
    assert from_file.password({}, tmp_path) == "s3cret"


def test_settings_load_imap_blocks(tmp_path):
    extra = '[[imap]]\nhost = "imap.example.org"\nusername = "u"\npassword_env = "P"\n'
    [account] = make_settings(tmp_path, extra=extra).imap
    assert account.host == "imap.example.org"
    assert make_settings(tmp_path / "none").imap == ()
