"""How to take part, as the space and question pages say it: the addresses, the moderation, the
calendar's moment (before opening, between phases, after closing), and how to follow by mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from archive.record.models import Question, Space
from config import Settings
from config.calendar import Moment, moment


@dataclass(frozen=True)
class TakingPart:
    moment: Moment
    address: str  # where a contribution to this page's question (or the space) goes
    space_address: str
    request_address: str  # S-request@: subscribe, help
    opens: dt.datetime | None
    closes: dt.datetime | None
    question_open: bool  # this page's question takes new threads now (always true on a space page)
    max_bytes: int  # the largest message, attachments included


def taking_part(settings: Settings, space: Space, question: Question | None, now: dt.datetime) -> TakingPart:
    config = settings.space(space.slug)
    here = moment(config if config is not None else space, now)
    domain = settings.site.domain
    detail = f"+q{question.number}" if question is not None else ""
    return TakingPart(
        moment=here,
        address=f"{space.slug}{detail}@{domain}",
        space_address=f"{space.slug}@{domain}",
        request_address=f"{space.slug}-request@{domain}",
        opens=space.opens,
        closes=space.closes,
        question_open=question is None or question.number in here.open_questions,
        max_bytes=settings.smtp.max_message_bytes,
    )
