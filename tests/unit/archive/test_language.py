"""Language detection: sure answers, a space's languages for unclear text, nothing for too little."""

from __future__ import annotations

import pytest

from archive.record.language import detect, post_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our organisation runs legal clinics for migrant workers in three cities.", "en"),
        ("Notre organisation gère des cliniques juridiques pour les travailleurs migrants.", "fr"),
        ("Наша организация оказывает юридическую помощь трудовым мигрантам.", "ru"),
        ("Nuestra organización ofrece asesoría jurídica a trabajadores migrantes.", "es"),
    ],
)
def test_the_four_languages_of_the_seeds(text, expected):
    assert detect(text, ("en", "fr", "ru", "es")) == expected


def test_too_little_text_says_nothing():
    assert detect("+1", ("en",)) == "" and detect("ok thanks", ("en",)) == ""


def test_quoted_text_does_not_count():
    body = "Je suis d'accord avec cette proposition importante.\n\nOn Mon, Ana wrote:\n> " + "English " * 80
    assert post_language("Re: Our practice", body, ("en", "fr")) == "fr"
