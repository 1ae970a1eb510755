"""The one small error hierarchy that every layer raises from."""

from __future__ import annotations


class HubmailError(Exception):
    """Base of every error hubmail raises on purpose."""


class ConfigError(HubmailError):
    """A configuration file is missing or wrong; names the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract`; the words are translated where they are mailed."""
    return message


class Reason(str):
    """An English sentence (for the log and the record) that keeps its msgid and values, so that it
    can be said in a reader's language: Reason(N_("closed on %(date)s"), date=...).said(gettext)."""

    msgid: str
    values: dict

    def __new__(cls, msgid: str, **values: object) -> Reason:
        sentence = super().__new__(cls, msgid % values if values else msgid)
        sentence.msgid, sentence.values = msgid, values
        return sentence

    def said(self, gettext) -> str:
        """Values that are Reasons themselves are said in the same language."""
        translated = gettext(self.msgid)
        if not self.values:
            return translated
        return translated % {name: said(value, gettext) for name, value in self.values.items()}


def said(text: str, gettext) -> str:
    """A Reason in the catalog's language; any other text as it is."""
    return text.said(gettext) if isinstance(text, Reason) else text


class Refusal(HubmailError):
    """A request refused for a reason worth telling its sender; str() is the English sentence."""

    def __init__(self, msgid: str, **values: object) -> None:
        self.reason = Reason(msgid, **values)
        super().__init__(str(self.reason))
