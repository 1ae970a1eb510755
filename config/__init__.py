"""Base layer: settings from TOML, spaces and questions, the database engine and session."""

from config.errors import ConfigError, HubmailError
from config.settings import Settings, find_config_path, load_settings

__all__ = ["ConfigError", "HubmailError", "Settings", "find_config_path", "load_settings"]
