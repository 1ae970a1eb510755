"""TOML tables and arrays of tables, checked the same way in every section: errors name the key."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from config.errors import ConfigError

SEE_DEFAULTS = "see config/defaults.toml"


def check_table(file: str, key: str, value: Any, allowed: Collection[str], hint: str = SEE_DEFAULTS) -> dict:
    """The table itself; a value that is no table, or a key it may not have, is refused."""
    if not isinstance(value, dict):
        raise ConfigError(file, key, "must be a table")
    for name in value:
        if name not in allowed:
            raise ConfigError(file, f"{key}.{name}", f"unknown key ({hint})")
    return value


def array_of_tables(
    file: str, key: str, value: Any, header: str, allowed: Collection[str], hint: str = SEE_DEFAULTS
) -> list[tuple[str, dict]]:
    """(where, table) for each table of [[header]], each checked by check_table."""
    if not isinstance(value, list):
        raise ConfigError(file, key, f"must be an array of tables: [[{header}]]")
    tables = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        tables.append((where, check_table(file, where, item, allowed, hint)))
    return tables
