"""Mail as people receive it from a real `hubmail serve`, through a real relay sink, read strictly:
accented and Cyrillic names, a report attached, moderation by reply, help that can be answered."""

from __future__ import annotations

import email.policy
import json
from email.message import EmailMessage
from email.parser import BytesParser

from tests.e2e.test_digest import wait_mail
from tests.moderation_helpers import body, flat

STRICT = email.policy.default.clone(raise_on_defect=True)
SPACE = "unece-review@hub.example.org"
REPORT = b"%PDF-1.4\n" + bytes(range(256)) * 40  # a binary attachment, every byte value


def strict(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=STRICT).parsebytes(raw)
    for name in ("From", "To", "Subject", "Reply-To", "List-Id"):
        assert message[name] is None or message[name].defects == (), name
    return message


def post_with_report(server) -> None:
    message = EmailMessage()
    message["From"] = "Ана Иванова <ana@ngo.example>"
    message["To"] = "unece-review+q1@hub.example.org"
    message["Subject"] = "Pratiques prometteuses à Genève et à Liège"
    message["Message-ID"] = "<wire-1@ngo.example>"
    message.set_content("Наша организация оказывает юридическую помощь.\n\nАна")
    message.add_attachment(REPORT, maintype="application", subtype="pdf", filename="отчёт 2024.pdf")
    with server.smtp() as client:
        client.send_message(message, "ana@ngo.example", ["unece-review+q1@hub.example.org"])


def reply(server, sender: str, to: str, text: str, mid: str) -> None:
    raw = f"From: {sender}\r\nTo: {to}\r\nSubject: Re: x\r\nMessage-ID: <{mid}>\r\n\r\n{text}\r\n"
    with server.smtp() as client:
        client.sendmail(sender, [to], raw.encode())


def test_a_cyrillic_post_with_a_report_reaches_subscribers_whole(server, sink):
    server.cli("subscribers", "add", "--space", "unece-review", "bo@org.example", "--mode", "each")
    post_with_report(server)
    [notice] = wait_mail(sink, "mia@un.example", "held for moderation")
    held = strict(notice)
    assert (
        str(held["Subject"])
        == "[unece-review] #1 held for moderation: Pratiques prometteuses à Genève et à Liège"
    )
    html = held.get_body(("html",)).get_content()
    reply_to = str(held["Reply-To"])
    assert f'href="mailto:{reply_to}?subject=' in html and "&amp;body=approve" in html  # one tap

    reply(server, "mia@un.example", reply_to, "help", "help-1@un.example")
    [answer] = wait_mail(sink, "mia@un.example", "Results of your moderation commands")
    assert str(strict(answer)["Reply-To"]) == reply_to  # help is no dead end: its reply acts
    reply(server, "mia@un.example", reply_to, "approve", "approve-1@un.example")

    [copy] = wait_mail(sink, "bo@org.example", "Genève")
    message = strict(copy)
    assert str(message["From"]) == "Ана Иванова via UNECE GCM Regional Review <unece-review@hub.example.org>"
    assert str(message["Subject"]) == "[unece-review] Pratiques prometteuses à Genève et à Liège"
    [report] = list(message.iter_attachments())
    assert report.get_filename() == "отчёт 2024.pdf" and report.get_content() == REPORT
    assert "Наша организация" in body(copy)
    assert "Ана" in message.get_body(("html",)).get_content()


def test_request_help_names_every_address_and_a_language_line_is_honoured(server, sink):
    raw = "From: bo@org.example\r\nTo: x\r\nSubject: help\r\nMessage-ID: <h1@org.example>\r\n\r\n\r\n"
    with server.smtp() as client:
        client.sendmail("bo@org.example", ["unece-review-request@hub.example.org"], raw.encode())
    [help_reply] = wait_mail(sink, "bo@org.example", "Help for")
    text = flat(body(help_reply))
    for address in ("unece-review-request@hub.example.org", SPACE, "unece-review+q1@hub.example.org"):
        assert address in text
    assert "subscribe daily" in text and "unsubscribe" in text and "language xx" in text
    raw = "From: cy@org.example\r\nSubject: Re: subscribe\r\nMessage-ID: <s1@org.example>\r\n\r\n"
    raw += "subscribe daily\r\nlanguage fr\r\n"
    with server.smtp() as client:
        client.sendmail("cy@org.example", ["unece-review-request@hub.example.org"], raw.encode())
    [ask] = wait_mail(sink, "cy@org.example", "Veuillez confirmer")  # asked in the language chosen
    assert "résumé quotidien" in flat(body(ask))
    listed = json.loads(server.cli("subscribers", "list", "--space", "unece-review", "--json").stdout)
    assert [(s["address"], s["mode"], s["language"]) for s in listed] == [("cy@org.example", "daily", "fr")]
