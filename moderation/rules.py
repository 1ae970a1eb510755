"""Policy rules: each a small named check that says why a message matches, or None."""

from __future__ import annotations

import datetime as dt
import email
import re
from dataclasses import dataclass

from flufl.bounce import all_failures

from archive.record.parsing import ParsedMessage
from archive.record.visibility import may_post
from config.calendar import moment
from config.errors import N_, Reason
from config.spaces import SpaceConfig

# Out-of-office subjects in the languages our spaces use (after Discourse's receiver.rb list).
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ _-]?(reply|response|answer)|autoreply|auto:|out of (the )?office|"
    r"away from (the )?office|on vacation|vacation reply|abwesenheit|automatische antwort|"
    r"r[ée]ponse automatique|absent(e)? du bureau|message d'absence|cong[ée]s|"
    r"respuesta autom[áa]tica|fuera de la oficina|ausente|автоответ|"
    r"автоматический ответ|нет на месте|в отпуске|risposta automatica|fuori sede)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
MAIL_SYSTEM = re.compile(r"mail delivery (system|subsystem)|mailer[- ]daemon", re.IGNORECASE)
BOUNCE_WORDS = re.compile(
    rb"(?i)undeliver|not (be )?delivered|deliver(y|ing) (status|fail|notification|report|problem|"
    rb"to the following|has failed)|mail delivery|returned mail|failure notice|mailer-daemon|"
    rb"postmaster|unknown user|user unknown|no such (user|address|mailbox|recipient)|"
    rb"mailbox (unavailable|full|is full|not found|does not exist)|permanent(ly)? (error|fail)|"
    rb"recipient address rejected|could not (be )?(deliver|sent)|failed recipient|virus|"
    rb"delivery-status|final-recipient|delayed"
)


@dataclass(frozen=True)
class Check:
    """What a rule may look at."""

    message: ParsedMessage
    raw: bytes
    envelope_from: str
    space: SpaceConfig | None  # None for mail to hubmail itself (moderation replies)
    domain: str
    now: dt.datetime
    trusted: bool = False  # trusted in this space (`approve trust`), its From domain authenticated
    question: int | None = None  # the question addressed (S+qN), or its thread's
    is_reply: bool = False  # answers a post already in the space
    role: str | None = None  # the sender's role in the space (archive.record.members.role_of)
    unauthenticated: str = ""  # a trusted address, but why its From domain is not authenticated


def loop(check: Check) -> str | None:
    """Our own mail coming back (RFC 2919 List-Id naming our domain, or our loop header)."""
    list_id = check.message.header("list-id").lower()
    if list_id and check.domain.lower() in list_id:
        return f"our own List-Id: {list_id}"
    if check.message.header("x-hubmail-loop"):
        return "carries X-Hubmail-Loop"
    if check.message.from_addr.endswith("@" + check.domain.lower()):
        return "sent from one of our own addresses"
    return None


def bounce(check: Check) -> str | None:
    """Delivery reports are never posts (RFC 3464)."""
    if check.envelope_from in ("", "<>"):
        return "null envelope sender (a bounce or other report)"
    for local in (check.envelope_from.partition("@")[0], check.message.from_addr.partition("@")[0]):
        if local.lower() in BOUNCE_SENDERS:
            return f"sent by {local}"
    if MAIL_SYSTEM.search(check.message.from_name):
        return f"sent by {check.message.from_name}"
    if "multipart/report" in check.message.header("content-type").lower():
        return "a multipart/report"
    if not _plausible_bounce(check.message):
        return None
    failed = _bounced_addresses(check.raw)
    return f"a delivery failure report for {', '.join(sorted(failed))[:200]}" if failed else None


def _plausible_bounce(message: ParsedMessage) -> bool:
    """Most reports come from a null sender, MAILER-DAEMON or as multipart/report (above); the rest
    say what they are in the subject or the first lines. Only those go to the detectors, which
    cost about 10 ms a message."""
    if message.header("x-failed-recipients"):
        return True
    sample = f"{message.subject}\n{message.from_name}\n{message.body_text[:2048]}".encode("utf-8", "replace")
    return BOUNCE_WORDS.search(sample) is not None


def _bounced_addresses(raw: bytes) -> set[str]:
    """Mailman 3's own detectors (flufl.bounce) for the 40-odd formats MTAs use."""
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw))
    except (RecursionError, Exception):  # deep nesting or a detector's own bug: not a verdict
        return set()
    return {a.decode("utf-8", "replace") for a in permanent | temporary}


def auto_submitted(check: Check) -> str | None:
    """RFC 3834: anything but Auto-Submitted: no is automatic."""
    value = check.message.header("auto-submitted").split(";")[0].strip().lower()
    return f"Auto-Submitted: {value}" if value and value != "no" else None


def precedence(check: Check) -> str | None:
    value = check.message.header("precedence").strip().lower()
    return f"Precedence: {value}" if value in ("bulk", "junk", "list", "auto_reply") else None


def auto_reply(check: Check) -> str | None:
    """Vacation responders that set no RFC 3834 header but leave other traces."""
    for name in ("x-autoreply", "x-autorespond"):
        if check.message.header(name):
            return f"carries {name}"
    suppress = check.message.header("x-auto-response-suppress").lower()
    if any(word in suppress for word in ("oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress}"
    return None


AUTOMATIC_LOOK = "looks like an automatic reply"  # the note's English start: no receipt for such posts


def auto_reply_subject(check: Check) -> str | None:
    """An out-of-office subject alone is only a hint: "Réponse automatique défaillante" may be a
    person writing about a broken auto-reply, so it is held with a note, never discarded."""
    if AUTO_REPLY_SUBJECT.match(check.message.subject):
        return Reason(
            N_("looks like an automatic reply (subject: %(subject)s)"), subject=check.message.subject[:80]
        )
    return None


def space_not_open(check: Check) -> str | None:
    """Before the space opens, or after it closed (and its grace period): a calendar reply."""
    space = check.space
    if space is None:
        return None
    state = moment(space, check.now).state
    if state == "before":
        return Reason(
            N_("The discussion “%(title)s” opens on %(date)s."), title=space.title, date=_when(space.opens)
        )
    if state == "closed":
        return Reason(
            N_("The discussion “%(title)s” closed on %(date)s."), title=space.title, date=_when(space.closes)
        )
    return None


def question_not_open(check: Check) -> str | None:
    """A new thread on a question whose phase is not open; replies in its threads still count."""
    space = check.space
    if space is None or check.question is None or check.is_reply:
        return None
    here = moment(space, check.now)
    if here.state in ("open", "between") and check.question not in here.open_questions:
        if not here.open_questions:
            return Reason(
                N_("Question %(number)s takes no new contributions now (none until the next phase)."),
                number=check.question,
            )
        open_now = ", ".join(f"q{n}" for n in here.open_questions)
        return Reason(N_("Question %(number)s does not take new contributions now (open: %(open)s)."),
                      number=check.question, open=open_now)  # fmt: skip
    return None


def posting_not_allowed(check: Check) -> str | None:
    """`posting` = members or allowlist: readers (member states, say) read but do not post."""
    space = check.space
    if space is None or may_post(space, check.message.from_addr, check.role):
        return None
    if space.posting == "members":
        return Reason(
            N_("The discussion “%(title)s” takes contributions from its members only."), title=space.title
        )
    return Reason(N_("The discussion “%(title)s” takes contributions from its members and the organisations "
                     "it lists only."), title=space.title)  # fmt: skip


def not_a_moderator(check: Check) -> str | None:
    """S+summary@ is the moderators' own address."""
    if check.role == "moderator":
        return None
    title = check.space.title if check.space else check.message.subject
    return Reason(N_("Only the moderators of “%(title)s” may send its summary."), title=title)


def summary_note(check: Check) -> str | None:
    return Reason(N_("moderator summary: pinned at the top of the space page once approved"))


def late(check: Check) -> str | None:
    """In the grace period after closing: held like any post, and the moderators told."""
    space = check.space
    if space is not None and moment(space, check.now).state == "grace":
        return Reason(N_("late: sent after the space closed on %(date)s"), date=_when(space.closes))
    return None


def sender_unclear(check: Check) -> str | None:
    problem = check.message.from_problem
    return Reason(N_("sender unclear (%(problem)s)"), problem=problem) if problem else None


def trusted_but_unauthenticated(check: Check) -> str | None:
    """A trusted address in From proves nothing by itself: such a post is held, and says why."""
    if not check.unauthenticated:
        return None
    why = check.unauthenticated
    return Reason(N_("trusted sender, but this message is not authenticated (%(why)s)"), why=why)


def trusted_sender(check: Check) -> str | None:
    return (
        Reason(N_("%(address)s is trusted in this space"), address=check.message.from_addr)
        if check.trusted
        else None
    )


def _when(moment_: dt.datetime) -> str:
    """A date in the reason's values: ISO, readable in every language the reason may be said in."""
    return f"{moment_:%Y-%m-%d %H:%M} UTC"
