"""Translations beside the original (issue 16) against a running `hubmail serve`: a moderator replies
`translate fr` with the text over SMTP; the French page shows it marked, the English one the original."""

from __future__ import annotations

import urllib.request

from archive.record.urls import message_hash
from tests.e2e.test_moderation import ANA, MIA, held_post, send, wait_mail
from tests.moderation_helpers import body, flat, reply

FRENCH = "Des guichets uniques dans les villes."


def page(server, path: str) -> str:
    with urllib.request.urlopen(server.web_url + path, timeout=10) as response:
        return response.read().decode()


def test_a_moderators_translation_by_reply_shows_on_the_french_page_only(server, sink):
    notices = held_post(server, sink)
    text = f"translate fr\n---begin---\n{FRENCH}\n---end---\napprove"
    send(server, MIA, *reply(notices[MIA], MIA, text, "mia-t1@un.example"))
    [results] = wait_mail(sink, MIA, "Results of your moderation commands")
    assert "#1: translation into fr kept" in flat(body(results))
    wait_mail(sink, ANA, "Published")
    [post] = server.posts()
    assert [d["action"] for d in post["decisions"]] == ["translate", "approve"]
    path = f"/unece-review/message/{message_hash('e2e-1@ngo.example')}/"

    french = page(server, path + "?lang=fr")
    assert FRENCH in french and french.index(FRENCH) < french.index("City-level one-stop shops.")
    assert "Translated by the moderators" in french or "Traduit par les modérateurs" in french
    assert '<details class="original">' in french

    english = page(server, path + "?lang=en")
    assert "City-level one-stop shops." in english and FRENCH not in english
    assert 'class="original"' not in english
