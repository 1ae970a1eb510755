"""The `translate` command: a moderator's (or the operator's) translation kept beside the original
(issue 16), in one of the site's languages, recorded like every other action."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.models import Post
from archive.record.translations import Saved, save_translation
from moderation.context import Moderation
from moderation.models import Decision
from moderation.outcomes import Outcome, Result
from templates import languages


def site_languages(mod: Moderation) -> tuple[str, ...]:
    """The languages a translation may be in: the site's catalogs (the six UN languages and any a
    site adds), the languages its pages are offered in."""
    return languages(mod.settings.templates_path)


def translate(
    mod: Moderation, session: Session, post: Post, language: str, text: str, by: str, source: str
) -> Result:
    """Keep `text` as the post's translation into `language`, replacing an earlier one."""
    offered = site_languages(mod)
    if language not in offered:
        return Result(Outcome.UNKNOWN_LANGUAGE, post.id, post.subject, language=language, languages=offered)
    text = text.strip()
    if not text:
        return Result(Outcome.EMPTY_TRANSLATION, post.id, post.subject, language=language)
    saved = save_translation(session, post, language, text, by, mod.now)
    detail = {"language": language, "chars": len(text), "replaced": saved == Saved.REPLACED}
    session.add(Decision(post_id=post.id, moderator=by, action="translate", detail=detail, source=source,
                         decided_at=mod.now))  # fmt: skip
    return Result(Outcome.TRANSLATED, post.id, post.subject, chars=len(text), language=language,
                  replaced=saved == Saved.REPLACED)  # fmt: skip
