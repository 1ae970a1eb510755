"""The starter configuration that `hubmail init` writes: a demo UNECE regional-review space."""

from __future__ import annotations

import datetime as dt
import json
import secrets

QUESTIONS: tuple[dict[str, str], ...] = (
    {
        "en": "What are some examples of promising practices in implementing the GCM in the region, "
        "and what made them work?",
        "fr": "Quels sont quelques exemples de pratiques prometteuses dans la mise en œuvre du PMM "
        "dans la région, et qu'est-ce qui a fait leur succès ?",
        "ru": "Какие перспективные практики осуществления ГДМ в регионе вы можете привести в пример "
        "и что обеспечило их успех?",
        "es": "¿Cuáles son algunos ejemplos de prácticas prometedoras en la aplicación del PMM en la "
        "región y qué las hizo funcionar?",
    },
    {
        "en": "What are the main challenges and gaps your organisation has observed in implementing "
        "the GCM since the last review?",
        "fr": "Quels sont les principaux défis et lacunes que votre organisation a constatés dans la "
        "mise en œuvre du PMM depuis le dernier examen ?",
        "ru": "С какими основными трудностями и пробелами в осуществлении ГДМ столкнулась ваша "
        "организация после предыдущего обзора?",
        "es": "¿Cuáles son los principales desafíos y lagunas que su organización ha observado en la "
        "aplicación del PMM desde el último examen?",
    },
    {
        "en": "How have migrants, including migrant children and women, been involved in the design "
        "and implementation of migration policies?",
        "fr": "Comment les migrants, y compris les enfants et les femmes migrants, ont-ils été associés "
        "à la conception et à la mise en œuvre des politiques migratoires ?",
        "ru": "Каким образом мигранты, в том числе дети и женщины из числа мигрантов, участвовали в "
        "разработке и осуществлении миграционной политики?",
        "es": "¿Cómo han participado los migrantes, incluidos los niños y las mujeres migrantes, en el "
        "diseño y la aplicación de las políticas migratorias?",
    },
    {
        "en": "Which partnerships between governments, local authorities and stakeholders have proven "
        "effective, and how could they be strengthened?",
        "fr": "Quels partenariats entre gouvernements, autorités locales et parties prenantes se sont "
        "révélés efficaces, et comment pourraient-ils être renforcés ?",
        "ru": "Какие партнерства между правительствами, местными органами власти и заинтересованными "
        "сторонами доказали свою эффективность и как их можно укрепить?",
        "es": "¿Qué alianzas entre gobiernos, autoridades locales y partes interesadas han resultado "
        "eficaces y cómo podrían fortalecerse?",
    },
    {
        "en": "What recommendations would you make to the regional review for the next four years "
        "of implementation?",
        "fr": "Quelles recommandations adresseriez-vous à l'examen régional pour les quatre prochaines "
        "années de mise en œuvre ?",
        "ru": "Какие рекомендации вы бы дали региональному обзору на следующие четыре года осуществления?",
        "es": "¿Qué recomendaciones haría al examen regional para los próximos cuatro años de aplicación?",
    },
)

HEAD = """\
# hubmail configuration, written by `hubmail init`. Every key is documented in
# config/defaults.toml of the hubmail package; set here only what differs.

[site]
domain = "hub.example.org"          # mail domain of every space address
base_url = "http://127.0.0.1:8080"  # where the archive is served, used in links
data_dir = "data"                   # spool, attachments, SQLite database (relative to this file)
database = ""                       # empty: SQLite in data_dir; else an SQLAlchemy URL
secret_key = {secret}  # signs tokens: keep it secret
language = "en"

[smtp]
listen = "127.0.0.1:2525"
protocol = "smtp"                   # or "lmtp" behind Postfix/Exim
max_message_bytes = 26214400

[outbound]                          # the relay for every outgoing message
host = "127.0.0.1"
port = 25
maildir = "mail"                    # the demo delivers here instead (read it with any mail
                                    # client, or `ls mail/new`); remove to use the relay above

[web]
listen = "127.0.0.1:8080"

# A demo discussion space: the UNECE regional review of the Global Compact for Safe,
# Orderly and Regular Migration (GCM), open for six weeks from the day it was written.
[[spaces]]
slug = "unece-review"
title = "UNECE GCM Regional Review: Stakeholder Discussion"
opens = {opens}
closes = {closes}
visibility = "public"               # public | registered | private
posting = "anyone"                  # anyone | members | allowlist
moderators = ["mia@un.example", "ivana@un.example"]
languages = ["en", "fr", "ru", "es"]
"""


def _toml_string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _question(number: int, texts: dict[str, str]) -> str:
    lines = [
        f"\n[[spaces.questions]]  # mail to unece-review+q{number}@hub.example.org",
        f"number = {number}",
        "[spaces.questions.text]",
    ]
    lines += [f"{language} = {_toml_string(text)}" for language, text in texts.items()]
    return "\n".join(lines) + "\n"


PHASES = (
    ({"en": "Before the Regional Review", "fr": "Avant l'examen régional", "ru": "До регионального обзора",
      "es": "Antes del examen regional"}, 0, 3, (1, 2, 3)),
    ({"en": "Follow-up to the Regional Review", "fr": "Suivi de l'examen régional",
      "ru": "По итогам регионального обзора", "es": "Seguimiento del examen regional"}, 4, 6, (4, 5)),
)  # fmt: skip


def _phase(names: dict[str, str], opens: dt.datetime, closes: dt.datetime, questions: tuple[int, ...]) -> str:
    name = ", ".join(f"{language} = {_toml_string(text)}" for language, text in names.items())
    return (
        f"\n[[spaces.phases]]\nname = {{ {name} }}\nopens = {opens:%Y-%m-%dT%H:%M:%SZ}\n"
        f"closes = {closes:%Y-%m-%dT%H:%M:%SZ}\nquestions = {list(questions)}\n"
    )


def starter_config(now: dt.datetime) -> str:
    """A working configuration whose demo space opens now (to the minute) for six weeks, in two
    phases: questions 1-3 for the first three weeks, 4-5 in the last two (after a week's pause)."""
    opens = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    closes = opens + dt.timedelta(weeks=6)
    text = HEAD.format(
        secret=_toml_string(secrets.token_urlsafe(32)),
        opens=opens.strftime("%Y-%m-%dT%H:%M:%SZ"),
        closes=closes.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    text += "".join(_question(n, texts) for n, texts in enumerate(QUESTIONS, start=1))
    text += "\n# Phases: each takes new threads on its own questions while it is open."
    for names, start, end, questions in PHASES:
        ends = opens + dt.timedelta(weeks=end) - dt.timedelta(seconds=1) if end < 6 else closes
        text += _phase(names, opens + dt.timedelta(weeks=start), ends, questions)
    return text
