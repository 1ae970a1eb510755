"""Page chrome in the reader's language: ?lang=, then Accept-Language, then the space's first language."""

from __future__ import annotations

LANGUAGES = ("en", "fr", "es", "ru")
CATALOG: dict[str, dict[str, str]] = {
    "fr": {
        "Discussion spaces": "Espaces de discussion",
        "Guiding questions": "Questions directrices",
        "Latest contributions": "Dernières contributions",
        "contributions": "contributions",
        "Opens": "Ouverture",
        "Closes": "Clôture",
        "upcoming": "à venir",
        "open": "ouvert",
        "closed": "clos",
        "Moderators": "Modérateurs",
        "in reply to": "en réponse à",
        "Search": "Rechercher",
        "Thread": "Fil",
        "Raw message": "Message brut",
        "Attachments": "Pièces jointes",
        "Participation": "Participation",
        "Feed": "Flux",
        "Download as mbox": "Télécharger (mbox)",
        "No contributions yet.": "Aucune contribution pour l'instant.",
        "message not in the archive": "message absent des archives",
        "Other languages": "Autres langues",
        "General discussion": "Discussion générale",
        "Previous": "Précédent",
        "Next": "Suivant",
        "results": "résultats",
        "Author": "Auteur",
        "Question": "Question",
        "Space": "Espace",
        "From": "Du",
        "Until": "Au",
        "All": "Toutes",
        "Posts per week": "Contributions par semaine",
        "Posts per question": "Contributions par question",
        "Posts per organisation": "Contributions par organisation",
        "Distinct participants": "Participants distincts",
        "quoted lines": "lignes citées",
    },
    "es": {
        "Discussion spaces": "Espacios de debate",
        "Guiding questions": "Preguntas orientadoras",
        "Latest contributions": "Últimas contribuciones",
        "contributions": "contribuciones",
        "Opens": "Apertura",
        "Closes": "Cierre",
        "upcoming": "próximo",
        "open": "abierto",
        "closed": "cerrado",
        "Moderators": "Moderadores",
        "in reply to": "en respuesta a",
        "Search": "Buscar",
        "Thread": "Hilo",
        "Raw message": "Mensaje original",
        "Attachments": "Adjuntos",
        "Participation": "Participación",
        "Feed": "Canal",
        "Download as mbox": "Descargar (mbox)",
        "No contributions yet.": "Aún no hay contribuciones.",
        "message not in the archive": "mensaje no archivado",
        "Other languages": "Otros idiomas",
        "General discussion": "Debate general",
        "Previous": "Anterior",
        "Next": "Siguiente",
        "results": "resultados",
        "Author": "Autor",
        "Question": "Pregunta",
        "Space": "Espacio",
        "From": "Desde",
        "Until": "Hasta",
        "All": "Todos",
        "Posts per week": "Contribuciones por semana",
        "Posts per question": "Contribuciones por pregunta",
        "Posts per organisation": "Contribuciones por organización",
        "Distinct participants": "Participantes distintos",
        "quoted lines": "líneas citadas",
    },
    "ru": {
        "Discussion spaces": "Площадки для обсуждения",
        "Guiding questions": "Ключевые вопросы",
        "Latest contributions": "Последние сообщения",
        "contributions": "сообщений",
        "Opens": "Открытие",
        "Closes": "Закрытие",
        "upcoming": "скоро",
        "open": "открыто",
        "closed": "закрыто",
        "Moderators": "Модераторы",
        "in reply to": "в ответ на",
        "Search": "Поиск",
        "Thread": "Ветка",
        "Raw message": "Исходное сообщение",
        "Attachments": "Вложения",
        "Participation": "Участие",
        "Feed": "Лента",
        "Download as mbox": "Скачать (mbox)",
        "No contributions yet.": "Сообщений пока нет.",
        "message not in the archive": "сообщения нет в архиве",
        "Other languages": "Другие языки",
        "General discussion": "Общее обсуждение",
        "Previous": "Назад",
        "Next": "Далее",
        "results": "результатов",
        "Author": "Автор",
        "Question": "Вопрос",
        "Space": "Площадка",
        "From": "С",
        "Until": "По",
        "All": "Все",
        "Posts per week": "Сообщений в неделю",
        "Posts per question": "Сообщений по вопросам",
        "Posts per organisation": "Сообщений по организациям",
        "Distinct participants": "Участников",
        "quoted lines": "строк цитаты",
    },
}

# The subscription form on the space page.
CATALOG["fr"].update(
    {
        "Follow by email": "Suivre par courriel",
        "How often": "Fréquence",
        "weekly digest": "résumé hebdomadaire",
        "daily digest": "résumé quotidien",
        "each post": "chaque contribution",
        "Follow": "Suivre",
    }
)
CATALOG["es"].update(
    {
        "Follow by email": "Seguir por correo",
        "How often": "Frecuencia",
        "weekly digest": "resumen semanal",
        "daily digest": "resumen diario",
        "each post": "cada contribución",
        "Follow": "Seguir",
    }
)
CATALOG["ru"].update(
    {
        "Follow by email": "Подписаться по почте",
        "How often": "Как часто",
        "weekly digest": "еженедельная сводка",
        "daily digest": "ежедневная сводка",
        "each post": "каждое сообщение",
        "Follow": "Подписаться",
    }
)


# The consultation calendar (issue 7): states, phases and the language filter.
CALENDAR = {
    "fr": {"before": "à venir", "between": "entre deux phases", "grace": "délai de grâce", "Phases": "Phases",
           "now": "en cours", "Questions": "Questions", "Written in": "Écrit en", "all": "toutes"},
    "es": {"before": "próximo", "between": "entre fases", "grace": "periodo de gracia", "Phases": "Fases",
           "now": "en curso", "Questions": "Preguntas", "Written in": "Escrito en", "all": "todos"},
    "ru": {"before": "скоро", "between": "между этапами", "grace": "льготный период", "Phases": "Этапы",
           "now": "сейчас", "Questions": "Вопросы", "Written in": "Язык", "all": "все"},
}  # fmt: skip
CALENDAR["fr"]["Summary by the moderators"] = "Synthèse des modérateurs"
CALENDAR["es"]["Summary by the moderators"] = "Resumen de los moderadores"
CALENDAR["ru"]["Summary by the moderators"] = "Итоги модераторов"
for _language, _words in CALENDAR.items():
    CATALOG[_language].update(_words)


def choose_language(requested: str | None, accept_language: str, offered: tuple[str, ...]) -> str:
    """The first of ?lang=, Accept-Language (by q), the space's first language, that we offer."""
    if requested and requested in offered:
        return requested
    for language in _by_preference(accept_language):
        if language in offered:
            return language
    return offered[0] if offered else "en"


def _by_preference(header: str) -> list[str]:
    ranked = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if tag:
            ranked.append((-q, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def translator(language: str):
    table = CATALOG.get(language, {})
    return lambda text: table.get(text, text)
