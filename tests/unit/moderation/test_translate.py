"""`translate LANG` by mail: read like edit's block or from an attached .txt or .docx file, kept one per
post and language, refused with a reason for a language the site does not have (issue 16)."""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage

import pytest
from docx import Document
from sqlmodel import select

from archive.record.models import Post, Translation
from archive.record.translations import Saved, save_translation
from config.database import session_scope
from gateway.spool import Envelope
from gateway.worker import Worker
from moderation.commands import Verb, Why, read_commands
from moderation.models import Decision
from tests.moderation_helpers import body, flat, outbox, parse, reply

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
MIA, IVANA = "mia@un.example", "ivana@un.example"
POST = (
    "From: Ana Pérez <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@ngo.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops for migrant workers.\r\n"
).encode()
FRENCH = "Des guichets uniques dans les villes pour les travailleurs migrants."


class Flow:
    def __init__(self, hub) -> None:
        self.hub = hub
        self.worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)

    def deliver(self, raw: bytes, to: str, sender: str) -> None:
        self.hub.spool.put(Envelope(sender, [to], "smtp", received_at=NOW.isoformat()), raw)
        self.worker.process_pending()

    def notice(self, moderator: str = MIA) -> bytes:
        return next(r.raw for r in outbox(self.hub, "hold-notice") if r.recipient == moderator)

    def answer(self, text: str, message_id: str, moderator: str = MIA) -> None:
        address, raw = reply(self.notice(moderator), moderator, text, message_id)
        self.deliver(raw, address, moderator)

    def translations(self) -> dict[str, tuple[str, str, bool]]:
        with session_scope(self.hub.engine) as session:
            rows = session.exec(select(Translation).order_by(Translation.language))
            return {t.language: (t.text, t.by, t.machine) for t in rows}

    def results(self) -> str:
        return flat(body(outbox(self.hub, "moderation-results")[-1].raw))


@pytest.fixture()
def flow(hub) -> Flow:
    flow = Flow(hub)
    flow.deliver(POST, "unece-review+q1@hub.example.org", "ana@ngo.example")
    return flow


def test_translate_reads_the_language_and_edits_block_or_leaves_the_text_to_a_file():
    reading = read_commands("Re: Held", "translate FR\n---begin---\nBonjour.\n\nDeux.\n---end---\napprove")
    assert [(c.verb, c.language, c.text) for c in reading.commands] == [
        (Verb.TRANSLATE, "fr", "Bonjour.\n\nDeux."),
        (Verb.APPROVE, "", ""),
    ]
    attached = read_commands("Re: Held", "translate 12 es\napprove")  # in a summary: the post's number
    first, second = attached.commands
    assert (first.verb, first.post_id, first.language, first.text) == (Verb.TRANSLATE, 12, "es", "")
    assert second.verb == Verb.APPROVE
    for wrong in ("translate", "translate French please", "translate f"):
        assert read_commands("Re: Held", wrong).problems[0].why == Why.TRANSLATE_FORM


def test_a_moderators_translation_is_kept_recorded_and_answered(flow):
    flow.answer(f"translate fr\n---begin---\n{FRENCH}\n---end---\napprove", "t1@un.example")
    assert flow.translations() == {"fr": (FRENCH, MIA, False)}
    with session_scope(flow.hub.engine) as session:
        actions = [(d.action, d.detail) for d in session.exec(select(Decision).order_by(Decision.id))]
        post = session.get(Post, 1)
        assert post.status == "published" and "City-level" in post.body_text  # the original stays
    assert actions[0] == ("translate", {"language": "fr", "chars": len(FRENCH), "replaced": False})
    assert "#1: translation into fr kept (68 characters); shown beside the original" in flow.results()


def test_a_later_translation_replaces_the_earlier_one_and_a_machines_never_a_moderators(flow):
    flow.answer(f"translate fr\n---begin---\n{FRENCH}\n---end---", "t1@un.example")
    flow.answer("translate fr\n---begin---\nGuichets uniques.\n---end---", "t2@un.example", IVANA)
    assert flow.translations() == {"fr": ("Guichets uniques.", IVANA, False)}
    assert "translation into fr replaced" in flow.results()
    with session_scope(flow.hub.engine) as session:
        post = session.get(Post, 1)
        assert save_translation(session, post, "fr", "Machine.", "deepl", NOW, machine=True) == (
            Saved.KEPT_MODERATORS
        )
        assert save_translation(session, post, "es", "Máquina.", "deepl", NOW, machine=True) == Saved.ADDED
        assert save_translation(session, post, "es", "Ventanillas.", MIA, NOW) == Saved.REPLACED
    assert flow.translations() == {
        "es": ("Ventanillas.", MIA, False),
        "fr": ("Guichets uniques.", IVANA, False),
    }


def test_a_language_the_site_does_not_have_or_no_text_is_refused_with_the_reason(flow):
    flow.answer("translate de\n---begin---\nZentrale Anlaufstellen.\n---end---", "t1@un.example")
    said = flow.results()
    assert "#1: de is not one of this site's languages (en, ar, es, fr, ru, zh); nothing changed" in said
    flow.answer("translate fr", "t2@un.example")
    assert "#1: no translation found: write it between ---begin--- and ---end---" in flow.results()
    flow.answer("translate", "t3@un.example")
    assert "write translate and the language, e.g. translate fr" in flow.results()
    assert flow.translations() == {}


def test_only_a_moderator_of_the_space_may_translate(flow):
    address, raw = reply(flow.notice(), "eve@evil.example", "translate fr\n---begin---\nX\n---end---", "e@x")
    flow.deliver(raw, address, "eve@evil.example")
    assert flow.translations() == {}
    assert "was not acted on" in flat(body(outbox(flow.hub, "moderation-refusal")[0].raw))


def _with_files(notice: bytes, text: str, files: list[tuple[str, bytes, str]], message_id: str):
    message = EmailMessage()
    message["From"], message["To"] = MIA, str(parse(notice)["Reply-To"])
    message["Subject"], message["Message-ID"] = "Re: " + str(parse(notice)["Subject"]), f"<{message_id}>"
    message.set_content(text)
    for name, data, kind in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message["To"], message.as_bytes()


def _docx(*paragraphs: str) -> bytes:
    document, out = Document(), io.BytesIO()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(out)
    return out.getvalue()


def test_a_translation_may_come_as_an_attached_text_or_word_file(flow):
    docx = _docx("Ventanillas únicas en las ciudades.", "Para trabajadores migrantes.")
    files = [
        ("notes.pdf", b"%PDF-1.4", "application/pdf"),  # not a translation: left alone
        ("fr.txt", FRENCH.encode("utf-8-sig"), "text/plain"),
        ("es.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    address, raw = _with_files(flow.notice(), "translate fr\ntranslate es\n", files, "t1@un.example")
    flow.deliver(raw, address, MIA)
    found = flow.translations()
    assert found["fr"][0] == FRENCH
    assert found["es"][0] == "Ventanillas únicas en las ciudades.\nPara trabajadores migrantes."


def test_a_file_that_is_not_readable_text_is_refused_by_name(flow):
    broken = [("fr.docx", b"not a zip", "application/octet-stream")]
    address, raw = _with_files(flow.notice(), "translate fr", broken, "t1@un.example")
    flow.deliver(raw, address, MIA)
    assert flow.translations() == {}
    assert "#1: could not read fr.docx as text: attach a .txt or .docx file" in flow.results()
