"""The one small error hierarchy that every layer raises from."""


class HubmailError(Exception):
    """Base of every error hubmail raises on purpose."""


class ConfigError(HubmailError):
    """A configuration file is missing or wrong; names the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")
