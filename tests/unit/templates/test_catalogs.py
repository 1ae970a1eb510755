"""The catalogs: complete in the six UN languages, plurals, right-to-left Arabic, translated commands."""

from __future__ import annotations

import pytest

from moderation.commands import Command, read_commands
from templates import catalogs, direction, environment, languages, translations

DIGEST_COUNT = (
    "{% trans count=n %}{{ count }} new contribution{% pluralize %}"
    "{{ count }} new contributions{% endtrans %}"
)


def test_every_catalog_has_every_message_with_the_msgids_placeholders():
    assert catalogs.check() == []


def test_the_six_un_languages_ship():
    assert set(languages()) >= {"en", "fr", "es", "ru", "ar", "zh"}


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (1, "1 новое сообщение"),
        (2, "2 новых сообщения"),
        (5, "5 новых сообщений"),
        (21, "21 новое сообщение"),
    ],
)
def test_russian_digests_count_correctly(count, words):
    assert environment(None, "ru").from_string(DIGEST_COUNT).render(n=count) == words


def test_arabic_reads_right_to_left_and_the_others_left_to_right():
    assert direction("ar") == "rtl" and {direction(code) for code in ("en", "fr", "es", "ru", "zh")} == {
        "ltr"
    }


def test_a_language_of_another_region_takes_its_base_catalog():
    assert translations("fr-CA").gettext("Contents") == translations("fr").gettext("Contents") != "Contents"


def test_moderators_may_write_commands_in_their_language():
    reading = read_commands("Re: x", "approuver confiance\nrejeter hors sujet\nодобрить 12\n批准")
    assert reading.commands == [
        Command("approve", trust=True),
        Command("reject", reason="hors sujet"),
        Command("approve", 12),
        Command("approve"),
    ]
