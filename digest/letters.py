"""A published post as list mail to subscribers: composed once per post and language, attachments and all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from archive.record.attachments import blob_path
from archive.record.display import mail_html
from archive.record.mailing import Mailing
from archive.record.models import Post, Space
from archive.record.outgoing import Letter, Part
from archive.record.spaces import title_in
from archive.record.urls import attachment_url, post_url
from digest.headers import list_headers, unsubscribe_mark
from templates.dates import size


def post_letter(mail: Mailing, space: Space, post: Post, language: str) -> Letter:
    """The post as list mail: From rewritten to the space (DMARC), replies to the space, same Message-ID,
    its attachments carried up to [digest] attachments_max_bytes, else linked to the archive; the
    subscriber's own parts are markers (archive.record.bodies), or list-wide with personalize = false."""
    words = mail.words(language)
    author = post.from_name or post.from_addr.partition("@")[0] or words.gettext("someone")
    title = title_in(mail.settings, space, language)
    base = mail.settings.site.base_url
    attached, linked = _attachments(mail, space, post)
    subject = post.subject or words.gettext("(no subject)")
    values = {
        "space": space,
        "post": post,
        "subject": subject if f"[{space.slug}]" in subject else f"[{space.slug}] {subject}",
        "text": post.body_text or words.gettext("(see the archive for this message)"),
        "body_html": Markup(mail_html(post)),
        "attached": attached,
        "linked": linked,
        "limit": size(mail.settings.digest.attachments_max_bytes, language),
        "archived": post_url(base, space.slug, post.message_id),
        "unsubscribe": unsubscribe_mark(mail, space.slug),
    }
    subject, text = mail.render("post_copy.txt", language, wrap_lines=False, **values)
    return Letter(
        to=mail.space_address(space.slug),  # the subscriber's own address where personalised
        subject=subject,
        text=text,
        html=mail.render_html("post_copy.html", language, **values),
        attachments=attached,
        sender=mail.space_address(space.slug),
        sender_name=words.gettext("%(author)s via %(title)s") % {"author": author, "title": title},
        reply_to=mail.space_address(space.slug),
        message_id=post.message_id,
        in_reply_to=post.parent_message_id,
        references=tuple(post.references[:-1]),
        auto_submitted="",
        list_id=(title, f"{space.slug}.{mail.settings.site.domain}"),
        extra=list_headers(mail, space.slug, values["archived"]),
    )


@dataclass(frozen=True)
class Linked:
    filename: str
    size: int
    url: str


def _attachments(mail: Mailing, space: Space, post: Post) -> tuple[tuple[Part, ...], list[Linked]]:
    """(carried, linked): all carried when together within the limit and on disk, else all linked."""
    metas = post.attachments
    if sum(m["size"] for m in metas) <= mail.settings.digest.attachments_max_bytes:
        root = mail.settings.data_path / "attachments"
        paths = [blob_path(root, m["sha256"]) for m in metas]
        if all(paths):
            return tuple(Part(m["filename"] or "attachment", _mime(m), p.read_bytes())
                         for m, p in zip(metas, paths, strict=True)), []  # fmt: skip
    base = mail.settings.site.base_url
    return (), [
        Linked(m["filename"], m["size"], attachment_url(base, space.slug, post, i))
        for i, m in enumerate(metas)
    ]


def _mime(meta: dict) -> str:
    """The stored type when it is a well-formed type/subtype, else a neutral one."""
    kind = meta.get("content_type", "")
    return kind if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", kind) else "application/octet-stream"
