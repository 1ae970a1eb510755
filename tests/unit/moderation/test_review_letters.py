"""The review letters (issue 16) in each of the six languages: the author's receipt and the update
to moderators say where the review stands in the catalog's own words, not in English."""

from __future__ import annotations

import datetime as dt

import pytest

from config import load_settings
from moderation.context import Moderation
from templates import translations
from tests.configs import make_settings

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize("language", ["en", "fr", "es", "ru", "ar", "zh"])
def test_the_receipt_says_how_many_reviews_are_done_in_the_authors_language(tmp_path, language):
    settings = load_settings(make_settings(tmp_path, database="").path)
    mod = Moderation.at(settings, NOW)
    words = translations(language)
    subject, text = mod.render(
        "receipt_reviewed.txt", language, title="Review", name="Ana", subject="Shelters",
        reference="P7", done=1, needed=2,
    )  # fmt: skip
    under_review = words.gettext("Under review: %(subject)s") % {"subject": "Shelters"}
    done = words.ngettext("%(done)s of %(count)s review done.", "%(done)s of %(count)s reviews done.", 2)
    assert subject == under_review and done % {"done": 1, "count": 2} in " ".join(text.split())
    assert language == "en" or ("Under review" not in subject and "reviews done" not in text)
