"""The digest's own words in each language a space may list (the posts stay as written)."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "weekly": "Weekly digest",
        "daily": "Daily digest",
        "new": "new contributions",
        "new_one": "new contribution",
        "closes": "The discussion closes on",
        "contents": "Contents",
        "reply": "Reply",
        "unsubscribe": "Unsubscribe",
        "general": "General discussion",
        "no_subject": "(no subject)",
        "now": "Now",
        "next": "Next",
    },
    "fr": {
        "weekly": "Résumé hebdomadaire",
        "daily": "Résumé quotidien",
        "new": "nouvelles contributions",
        "new_one": "nouvelle contribution",
        "closes": "La discussion se termine le",
        "contents": "Sommaire",
        "reply": "Répondre",
        "unsubscribe": "Se désabonner",
        "general": "Discussion générale",
        "no_subject": "(sans objet)",
        "now": "En cours",
        "next": "Prochaine phase",
    },
    "es": {
        "weekly": "Resumen semanal",
        "daily": "Resumen diario",
        "new": "contribuciones nuevas",
        "new_one": "contribución nueva",
        "closes": "La discusión termina el",
        "contents": "Índice",
        "reply": "Responder",
        "unsubscribe": "Darse de baja",
        "general": "Discusión general",
        "no_subject": "(sin asunto)",
        "now": "En curso",
        "next": "Próxima fase",
    },
    "ru": {
        "weekly": "Еженедельная сводка",
        "daily": "Ежедневная сводка",
        "new": "новых сообщений",
        "new_one": "новое сообщение",
        "closes": "Обсуждение завершится",
        "contents": "Содержание",
        "reply": "Ответить",
        "unsubscribe": "Отписаться",
        "general": "Общее обсуждение",
        "no_subject": "(без темы)",
        "now": "Сейчас",
        "next": "Следующий этап",
    },
}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language.split("-")[0], WORDS["en"])
