"""Settings: frozen dataclasses loaded from one TOML file with HUBMAIL_* environment overrides."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.imap import ImapAccount, parse_imap
from config.spaces import SpaceConfig, is_domain, is_language, parse_spaces

DEFAULT_FILE = "hubmail.toml"


@dataclass(frozen=True)
class SiteSettings:
    domain: str
    base_url: str
    data_dir: str
    database: str
    secret_key: str
    language: str
    name: str
    operator: str


@dataclass(frozen=True)
class SmtpSettings:
    listen: str
    protocol: str
    max_message_bytes: int
    max_recipients: int
    max_line_bytes: int
    hostname: str
    timeout: int
    max_connections_per_client: int
    max_session_seconds: int
    trusted_peers: list
    probe_grace: int


@dataclass(frozen=True)
class LimitSettings:
    max_header_bytes: int
    max_mime_depth: int
    max_mime_parts: int


@dataclass(frozen=True)
class WorkerSettings:
    poll_seconds: float
    max_attempts: int


@dataclass(frozen=True)
class OutboundSettings:
    host: str
    port: int
    timeout: int
    retry_seconds: int
    replies_per_hour: int
    confirmations_per_day: int
    signin_links_per_day: int
    request_answers_per_day: int
    maildir: str
    connections: int


@dataclass(frozen=True)
class ModerationSettings:
    token_days: int
    edit_days: int
    require_authenticated: bool
    trusted_authserv_id: str
    inform_others: str
    summary_time: str
    summary_min_age_hours: int


@dataclass(frozen=True)
class DigestSettings:
    weekly_day: str
    weekly_time: str
    daily_time: str
    attachments_max_bytes: int
    part_max_bytes: int


@dataclass(frozen=True)
class DeliverySettings:
    personalize: bool


@dataclass(frozen=True)
class DnsSettings:
    static_records: str
    timeout: float
    system_resolver: bool


@dataclass(frozen=True)
class WebSettings:
    listen: str
    templates_dir: str
    show_addresses: bool
    page_size: int


SECTIONS: dict[str, type] = {
    "site": SiteSettings,
    "smtp": SmtpSettings,
    "limits": LimitSettings,
    "worker": WorkerSettings,
    "outbound": OutboundSettings,
    "moderation": ModerationSettings,
    "digest": DigestSettings,
    "delivery": DeliverySettings,
    "web": WebSettings,
    "dns": DnsSettings,
}


@dataclass(frozen=True)
class Settings:
    """Everything hubmail knows from its configuration file; passed explicitly, never global."""

    path: Path
    site: SiteSettings
    smtp: SmtpSettings
    limits: LimitSettings
    worker: WorkerSettings
    outbound: OutboundSettings
    moderation: ModerationSettings
    digest: DigestSettings
    delivery: DeliverySettings
    web: WebSettings
    dns: DnsSettings
    spaces: tuple[SpaceConfig, ...]
    imap: tuple[ImapAccount, ...] = ()

    @property
    def data_path(self) -> Path:
        return (self.path.parent / self.site.data_dir).resolve()

    @property
    def database_url(self) -> str:
        return self.site.database or f"sqlite:///{self.data_path / 'hubmail.sqlite3'}"

    @property
    def templates_path(self) -> Path | None:
        """The site's own templates and catalogs ([web] templates_dir), for pages and mail alike."""
        if not self.web.templates_dir:
            return None
        return (self.path.parent / self.web.templates_dir).resolve()

    @property
    def maildir_path(self) -> Path | None:
        """Where outgoing mail is delivered instead of a relay ([outbound] maildir), if set."""
        return (self.path.parent / self.outbound.maildir).resolve() if self.outbound.maildir else None

    @property
    def static_records_path(self) -> Path | None:
        """The TXT records file that answers DKIM key look-ups ([dns] static_records), if set."""
        return (self.path.parent / self.dns.static_records).resolve() if self.dns.static_records else None

    def space(self, slug: str) -> SpaceConfig | None:
        return next((s for s in self.spaces if s.slug == slug), None)


def defaults() -> dict[str, Any]:
    """The documented defaults, read from the defaults.toml shipped in this package."""
    text = resources.files("config").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def find_config_path(explicit: str | os.PathLike | None, env: Mapping[str, str]) -> Path:
    """--config, then HUBMAIL_CONFIG, then ./hubmail.toml."""
    chosen = explicit or env.get("HUBMAIL_CONFIG") or DEFAULT_FILE
    return Path(chosen).expanduser().resolve()


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and freeze a configuration file; ConfigError names what is wrong."""
    env = os.environ if env is None else env
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(name, "", "no such file (run `hubmail init` to write one)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(name, "", f"not valid TOML: {exc}") from None
    unknown = set(raw) - set(SECTIONS) - {"spaces", "imap"}
    if unknown:
        raise ConfigError(name, sorted(unknown)[0], "unknown section or key")
    base = defaults()
    sections = {
        section: _section(name, section, cls, base[section], raw.get(section, {}), env)
        for section, cls in SECTIONS.items()
    }
    site = sections["site"]
    _check_sections(name, site, sections["smtp"], sections["web"])
    if not 1 <= sections["outbound"].connections <= 32:
        raise ConfigError(name, "outbound.connections", "must be from 1 to 32")
    _check_moderation(name, sections["moderation"])
    _check_digest(name, sections["digest"])
    _check_dns(name, path.parent, sections["dns"])
    spaces = parse_spaces(name, raw.get("spaces", []), site.domain, site.language)
    imap = parse_imap(name, raw.get("imap", []), site.domain, {s.slug for s in spaces})
    return Settings(path=path, spaces=spaces, imap=imap, **sections)


def _section(file: str, section: str, cls: type, base: dict, given: Any, env: Mapping[str, str]) -> Any:
    if not isinstance(given, dict):
        raise ConfigError(file, section, "must be a table, e.g. [" + section + "]")
    for key in given:
        if key not in base:
            raise ConfigError(file, f"{section}.{key}", "unknown key (see config/defaults.toml)")
    values = {**base, **given}
    for key, default in base.items():
        variable = f"HUBMAIL_{section}_{key}".upper()
        if variable in env:
            values[key] = _from_env(file, variable, env[variable], default)
    for f in fields(cls):
        values[f.name] = _typed(file, f"{section}.{f.name}", values[f.name], base[f.name])
    return cls(**values)


def _from_env(file: str, variable: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return text.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, (int, float)):
            return type(default)(text)
    except ValueError:
        raise ConfigError(file, variable, f"{text!r} is not a number") from None
    return text


def _typed(file: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(file, key, f"must be {expected.__name__}, not {value!r}")
    return value


def _check_sections(file: str, site: SiteSettings, smtp: SmtpSettings, web: WebSettings) -> None:
    if not is_domain(site.domain):
        raise ConfigError(file, "site.domain", f"{site.domain!r} is not a domain name")
    if not is_language(site.language):
        raise ConfigError(file, "site.language", f"{site.language!r} is not a language code")
    if not site.secret_key or site.secret_key == "change-me":
        # Tokens signed with a published key would let anyone approve posts.
        raise ConfigError(file, "site.secret_key", "set a secret (hubmail init makes one)")
    if smtp.protocol not in ("smtp", "lmtp"):
        raise ConfigError(file, "smtp.protocol", f"must be smtp or lmtp, not {smtp.protocol!r}")
    split_listen(file, "smtp.listen", smtp.listen)
    split_listen(file, "web.listen", web.listen)


def _check_moderation(file: str, moderation: ModerationSettings) -> None:
    if moderation.inform_others not in ("mail", "summary"):
        raise ConfigError(file, "moderation.inform_others", "must be mail or summary")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", moderation.summary_time):
        raise ConfigError(file, "moderation.summary_time", f"{moderation.summary_time!r} is not HH:MM")
    for key in ("token_days", "edit_days"):
        if getattr(moderation, key) < 1:
            raise ConfigError(file, f"moderation.{key}", "must be at least 1")


def _check_digest(file: str, digest: DigestSettings) -> None:
    if digest.weekly_day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        raise ConfigError(file, "digest.weekly_day", f"{digest.weekly_day!r} is not one of mon, tue, ... sun")
    for key in ("weekly_time", "daily_time"):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", getattr(digest, key)):
            raise ConfigError(file, f"digest.{key}", f"{getattr(digest, key)!r} is not HH:MM")


def _check_dns(file: str, folder: Path, dns: DnsSettings) -> None:
    if not 0.1 <= dns.timeout <= 30:
        raise ConfigError(file, "dns.timeout", "must be from 0.1 to 30 seconds")
    if dns.static_records and not (folder / dns.static_records).is_file():
        raise ConfigError(file, "dns.static_records", f"{dns.static_records!r} is not a file")


def split_listen(file: str, key: str, listen: str) -> tuple[str, int]:
    """'127.0.0.1:2525' -> ('127.0.0.1', 2525), '[::1]:25' -> ('::1', 25)."""
    host, _, port = listen.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) < 65536:
        raise ConfigError(file, key, f"{listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)
