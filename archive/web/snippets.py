"""A search result's excerpt: the stretch of the post's own text with most of the searched words,
escaped, those words marked. Made in Python for the page's results only, the same on every database."""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
WINDOW = 30  # words shown
LEAD_IN = 5  # words before the first hit
SPACES = re.compile(r"\s+")
QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)


@lru_cache(maxsize=65536)
def folded(word: str) -> str:
    """Case and accents set aside, as the SQLite index compares (unicode61 remove_diacritics)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def snippet(body: str, wanted: set[str]) -> Markup:
    """Up to WINDOW words around the densest run of wanted words; the start when none is found."""
    tokens = TOKEN.findall(QUOTED.sub("", body)[:20_000])
    keys = {folded(w) for w in wanted}
    words = [i for i, t in enumerate(tokens) if t[:1].isalnum() or t[:1] == "_"]
    hits = [folded(tokens[i]) in keys for i in words]
    start = _densest(hits)
    chosen = words[start : start + WINDOW]
    if not chosen:
        return Markup("")
    shown = tokens[chosen[0] : chosen[-1] + 1]
    runs = itertools.groupby(shown, key=lambda t: folded(t) in keys)
    html = "".join(
        f"<mark>{escape(''.join(run))}</mark>" if hit else str(escape(SPACES.sub(" ", "".join(run))))
        for hit, run in runs
    )
    before = "… " if start else ""
    after = " …" if start + WINDOW < len(words) else ""
    return Markup(before + html + after)


def _densest(hits: list[bool]) -> int:
    """Where to start so that the WINDOW-word stretch with the most hits is shown from a few words
    before its first hit."""
    count = sum(hits[:WINDOW])
    best, best_count = 0, count
    for start in range(1, max(1, len(hits) - WINDOW + 1)):
        count += hits[start + WINDOW - 1] - hits[start - 1]
        if count > best_count:
            best, best_count = start, count
    if not best_count:
        return 0
    return max(0, hits.index(True, best) - LEAD_IN)
