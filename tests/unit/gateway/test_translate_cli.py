"""`hubmail translate POST_ID LANG FILE` and `--machine` with a provider of `hubmail.translators`
(issue 16): the operator's way to the same translations moderators send by mail."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import EntryPoint

import pytest
from sqlmodel import select
from typer.testing import CliRunner

import archive.record.translators as translators
from archive.record.models import Post, Translation
from config.database import session_scope
from gateway.cli import app
from gateway.spool import Envelope
from gateway.worker import Worker
from moderation.models import Decision
from tests.moderation_helpers import decide

NOW = dt.datetime(2024, 1, 20, 10, tzinfo=dt.UTC)
POST = (
    b"From: Ana <ana@ngo.example>\r\nSubject: Our practice\r\nMessage-ID: <p1@x>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nCity-level one-stop shops.\r\n"
)


def shout(text: str, source: str, target: str) -> str:
    """A provider for the tests: the text in capitals, saying what it was asked."""
    return f"[{source}->{target}] {text.upper()}"


@pytest.fixture()
def run(hub, tmp_path, monkeypatch):
    worker = Worker(hub.settings, hub.engine, hub.spool, clock=lambda: NOW)
    hub.spool.put(Envelope("ana@ngo.example", ["unece-review+q1@hub.example.org"], "smtp"), POST)
    worker.process_pending()
    with session_scope(hub.engine) as session:
        decide(session, hub.settings, session.exec(select(Post)).one(), NOW)
    point = EntryPoint("shout", f"{__name__}:shout", translators.GROUP)
    monkeypatch.setattr(translators, "entry_points", lambda group: [point])

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(app, [*args, "--config", str(tmp_path / "hubmail.toml")], input=stdin)

    run.hub = hub
    return run


def translations(hub) -> dict[str, tuple[str, str, bool]]:
    with session_scope(hub.engine) as session:
        return {t.language: (t.text, t.by, t.machine) for t in session.exec(select(Translation))}


def test_the_operator_keeps_a_translation_from_a_file_or_standard_input(run, tmp_path):
    (tmp_path / "fr.txt").write_text("Guichets uniques.\n", "utf-8")
    done = run("translate", "1", "fr", str(tmp_path / "fr.txt"), "--by", "mia@un.example")
    assert done.exit_code == 0 and "#1: translation into fr kept (17 characters)" in done.output
    done = run("translate", "1", "es", "-", stdin="Ventanillas únicas.")
    assert done.exit_code == 0
    assert translations(run.hub)["fr"] == ("Guichets uniques.", "mia@un.example", False)
    assert translations(run.hub)["es"][0] == "Ventanillas únicas."
    with session_scope(run.hub.engine) as session:
        sources = [d.source for d in session.exec(select(Decision).where(Decision.action == "translate"))]
    assert sources == ["cli", "cli"]


def test_an_unknown_language_a_missing_post_or_file_is_an_error(run, tmp_path):
    (tmp_path / "de.txt").write_text("Zentrale Anlaufstellen.", "utf-8")
    done = run("translate", "1", "de", str(tmp_path / "de.txt"))
    assert done.exit_code == 1 and "de is not one of this site's languages" in done.output
    assert run("translate", "9", "fr", str(tmp_path / "de.txt")).exit_code == 1
    assert run("translate", "1", "fr", str(tmp_path / "none.txt")).exit_code == 1
    assert run("translate", "1", "fr").exit_code == 2  # neither a file nor --machine
    assert translations(run.hub) == {}


def test_a_machine_translation_is_marked_and_never_replaces_the_moderators(run, tmp_path):
    done = run("translate", "1", "ru", "--machine")
    assert done.exit_code == 0 and "machine translation into ru by shout added" in done.output
    assert translations(run.hub)["ru"] == ("[en->ru] CITY-LEVEL ONE-STOP SHOPS.", "machine:shout", True)
    (tmp_path / "ru.txt").write_text("Единые окна.", "utf-8")
    assert run("translate", "1", "ru", str(tmp_path / "ru.txt")).exit_code == 0  # replaces the machine's
    done = run("translate", "1", "ru", "--machine")
    assert done.exit_code == 1 and "the moderators' translation into ru is kept" in done.output
    assert translations(run.hub)["ru"][0] == "Единые окна."
    done = run("translate", "1", "fr", "--machine", "--provider", "other")
    assert done.exit_code == 1 and "no such translator 'other' (installed: shout)" in done.output
