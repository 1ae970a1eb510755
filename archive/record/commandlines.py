"""Command mail, read one way for moderators and for S-request: reply prefixes cut, typed lines, verbs
in English or in any catalog's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations

from archive.record.replytext import html_to_text, typed_lines
from templates import languages, translations

# What mail clients put before a replied or forwarded Subject, in the six UN languages and the
# common clients' others: Re, Fwd, AW/WG (German), SV/VS (Nordic), Antw (Dutch), TR/Réf (French),
# RV (Spanish), Odp/PD (Polish), YNT (Turkish), Отв/Ответ/Пересл (Russian), رد/إعادة توجيه (Arabic),
# 回复/答复/转发/回覆/轉寄 (Chinese); also "Re[2]:", "RE :" and full-width colons.
REPLY_PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|antwort|fwd?|fw|tr|réf|ref|rv|wg|odp|pd|ynt|отв|ответ|пересл|رد"
    r"|إعادة توجيه|回复|答复|转发|回覆|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
VerbWords = Callable[[NullTranslations], dict[str, str]]


def without_reply_prefix(subject: str) -> str:
    return REPLY_PREFIX.sub("", subject or "").strip()


def command_lines(subject: str, text: str, html: str = "", limit: int = 200) -> list[str]:
    """The Subject without reply prefixes, then the lines the writer typed (HTML made text)."""
    body = text if text.strip() else html_to_text(html)
    return [without_reply_prefix(subject), *typed_lines(body, limit)]


@lru_cache(maxsize=16)
def verb_table(verb_words: VerbWords, override_dir: Path | None = None) -> dict[str, str]:
    """Every written form of each command word (casefolded) -> the English word.

    verb_words(catalog) gives a catalog's words for the English ones ("approve" -> "approuver"),
    so a moderator may write either; English always works, whatever the catalogs say."""
    table: dict[str, str] = {}
    for language in languages(override_dir):
        for english, word in verb_words(translations(language, override_dir)).items():
            if word.strip() and " " not in word.strip():
                table.setdefault(word.strip().casefold(), english)
    table.update({english: english for english in verb_words(NullTranslations())})
    return table


def translated_verbs(verb_words: VerbWords, words: NullTranslations) -> str:
    """'approuver (approve), rejeter (reject), ...' for help texts; '' where the words are English."""
    pairs = [(english, word) for english, word in verb_words(words).items() if word != english]
    return ", ".join(f"{word} ({english})" for english, word in pairs)


def english_words(line: str, table: dict[str, str]) -> list[str]:
    """The line's words with its translated command words made English ('rejeter 12 hors' -> ...)."""
    return [table.get(word.casefold(), word) for word in line.split()]
