"""IMAP accounts as the configuration file declares them ([[imap]] blocks), validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.spaces import is_address
from config.tables import check_table

TLS_MODES = ("implicit", "starttls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
IMAP_DEFAULTS: dict[str, Any] = {
    "name": "",
    "host": "",
    "port": 0,
    "tls": "implicit",
    "username": "",
    "password_env": "",
    "password_file": "",
    "folder": "INBOX",
    "processed_folder": "hubmail/processed",
    "default_address": "",
    "idle": True,
    "poll_seconds": 60.0,
    "timeout": 60,
}
IMAP_KEYS = set(IMAP_DEFAULTS)


@dataclass(frozen=True)
class ImapAccount:
    """One mailbox folder to take mail from; `name` labels it in logs and in the recorded state."""

    name: str
    host: str
    port: int
    tls: str
    username: str
    password_env: str
    password_file: str
    folder: str
    processed_folder: str  # "" leaves each message where it is, marked \Seen
    default_address: str
    idle: bool
    poll_seconds: float
    timeout: int

    def password(self, env: Mapping[str, str], base: Path) -> str:
        """The secret, read when connecting (so a fixed file needs no restart); names what is missing."""
        where = f"[[imap]] {self.name}"
        if self.password_env:
            if not env.get(self.password_env):
                raise ConfigError(
                    where, "password_env", f"environment variable {self.password_env} is not set"
                )
            return env[self.password_env]
        path = (base / self.password_file).expanduser()
        try:
            return path.read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(where, "password_file", f"cannot read {path}: {exc.strerror}") from None


def parse_imap(file: str, blocks: Any, domain: str, slugs: set[str]) -> tuple[ImapAccount, ...]:
    if not isinstance(blocks, list):
        raise ConfigError(file, "imap", "must be [[imap]] tables")
    accounts = tuple(_account(file, index, block, domain, slugs) for index, block in enumerate(blocks))
    names = [account.name for account in accounts]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(file, f"imap {name}", "two [[imap]] blocks have the same name")
    return accounts


def _account(file: str, index: int, block: Any, domain: str, slugs: set[str]) -> ImapAccount:
    where = f"imap[{index}]"
    if isinstance(block, dict) and "password" in block:
        # A password in a file that is copied, committed and backed up is a leaked password.
        raise ConfigError(
            file, f"{where}.password", "never put the password here: use password_env or password_file"
        )
    check_table(file, where, block, IMAP_KEYS)
    values = {**IMAP_DEFAULTS, **block}
    for key, default in IMAP_DEFAULTS.items():
        values[key] = _typed(file, f"{where}.{key}", values[key], default)
    for key in ("host", "username"):
        if not values[key]:
            raise ConfigError(file, f"{where}.{key}", "is required")
    tls = values["tls"]
    if tls not in TLS_MODES:
        raise ConfigError(file, f"{where}.tls", f"must be implicit, starttls or none, not {tls!r}")
    if tls == "none" and values["host"] not in LOOPBACK:
        raise ConfigError(file, f"{where}.tls", "none sends the password in clear: only for 127.0.0.1")
    values["port"] = values["port"] or (993 if tls == "implicit" else 143)
    if not 0 < values["port"] < 65536:
        raise ConfigError(file, f"{where}.port", f"{values['port']} is not a port number")
    if bool(values["password_env"]) == bool(values["password_file"]):
        raise ConfigError(file, where, "set exactly one of password_env and password_file")
    _check_default_address(file, f"{where}.default_address", values["default_address"], domain, slugs)
    if not values["folder"]:
        raise ConfigError(file, f"{where}.folder", "is required (usually INBOX)")
    if values["processed_folder"] == values["folder"]:
        raise ConfigError(file, f"{where}.processed_folder", "must differ from folder (or be empty)")
    if values["poll_seconds"] < 1:
        raise ConfigError(file, f"{where}.poll_seconds", "must be at least 1")
    values["name"] = values["name"] or f"{values['username']}@{values['host']}/{values['folder']}"
    return ImapAccount(**values)


def _check_default_address(file: str, key: str, address: str, domain: str, slugs: set[str]) -> None:
    if not address:
        return
    local, _, host = address.rpartition("@")
    if not is_address(address) or host.lower() != domain.lower():
        raise ConfigError(file, key, f"{address!r} is not an address at {domain}")
    if local.lower().partition("+")[0] not in slugs:
        raise ConfigError(file, key, f"{address!r} names no configured space")


def _typed(file: str, key: str, value: Any, default: Any) -> Any:
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, type(default)) or (type(default) is int and isinstance(value, bool)):
        raise ConfigError(file, key, f"must be {type(default).__name__}, not {value!r}")
    return value
