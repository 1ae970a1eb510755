"""The mailing context of moderation: settings, templates, the time, and a post's space and question."""

from __future__ import annotations

from sqlmodel import Session

from archive.record.commandlines import translated_verbs
from archive.record.mailing import Mailing
from archive.record.models import Post, Question, Space
from archive.record.outgoing import Letter
from config.calendar import moment
from config.spaces import SpaceConfig
from moderation.commands import verb_words


class Moderation(Mailing):
    """Mailing, plus what moderation mail says about a post's space and question."""

    def answer(
        self, post: Post, slug: str, sender_name: str, recipient: str, subject: str, text: str
    ) -> Letter:
        """An automatic answer to a post's writer: from the space's owner address, in the post's thread."""
        return Letter(
            to=recipient,
            subject=subject,
            text=text,
            sender=self.owner_address(slug),
            sender_name=sender_name,
            in_reply_to=post.message_id,
            references=tuple(post.references),
        )

    def command_words(self, language: str) -> dict[str, str]:
        """For the commands' help: their words in this language, where they are not English."""
        return {"translated_verbs": translated_verbs(verb_words, self.words(language))}

    def space_of(self, session: Session, post: Post) -> tuple[Space, SpaceConfig | None]:
        space = session.get(Space, post.space_id)
        return space, self.settings.space(space.slug)

    def question_text(self, session: Session, post: Post, space: SpaceConfig | None) -> str:
        if post.question_id is None:
            return ""
        question = session.get(Question, post.question_id)
        language = space.languages[0] if space else self.settings.site.language
        return f"Q{question.number}: " + (question.text.get(language) or next(iter(question.text.values())))

    def question_number(self, session: Session, post: Post) -> int | None:
        question = session.get(Question, post.question_id) if post.question_id else None
        return question.number if question else None

    def open_questions(self, space: SpaceConfig) -> tuple[int, ...]:
        """Questions that take new threads now (all of them outside phases)."""
        here = moment(space, self.now)
        return here.open_questions or tuple(q.number for q in space.questions)
