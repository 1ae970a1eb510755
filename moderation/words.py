"""The words of moderators' notices in each language a space may list; commands stay in English."""

from __future__ import annotations

HELP = {
    "en": """Reply to this message with one command per line, at the top of your reply:

  approve          publish the post
  approve trust    publish it, and from now on this sender's posts in this space
  reject REASON    do not publish; the author is told the reason
  discard          do not publish; nobody is told (spam)
  move qN          file the post under guiding question N (then approve on the next line)
  edit             replace the post's text with the lines between
                   ---begin---
                   ...
                   ---end---
  help             this list

In a summary of several posts, add the post's number: approve 12, reject 13 off-topic.
Only the moderators of the space can decide, each from the address this message was sent to.""",
    "fr": """Répondez à ce message avec une commande par ligne, en haut de votre réponse :

  approve          publier la contribution
  approve trust    la publier, et désormais les contributions de cet expéditeur dans cet espace
  reject MOTIF     ne pas publier ; l'auteur reçoit le motif
  discard          ne pas publier ; personne n'est averti (spam)
  move qN          classer sous la question directrice N (puis approve à la ligne suivante)
  edit             remplacer le texte par les lignes entre
                   ---begin---
                   ...
                   ---end---
  help             cette liste

Dans un récapitulatif de plusieurs contributions, ajoutez le numéro : approve 12, reject 13 hors sujet.
Seuls les modérateurs de l'espace décident, chacun depuis l'adresse à laquelle ce message a été envoyé.""",
    "es": """Responda a este mensaje con una orden por línea, al principio de su respuesta:

  approve          publicar la contribución
  approve trust    publicarla, y en adelante las de este remitente en este espacio
  reject MOTIVO    no publicar; el autor recibe el motivo
  discard          no publicar; nadie recibe aviso (spam)
  move qN          archivar bajo la pregunta orientadora N (y approve en la línea siguiente)
  edit             sustituir el texto por las líneas entre
                   ---begin---
                   ...
                   ---end---
  help             esta lista

En un resumen de varias contribuciones, añada el número: approve 12, reject 13 fuera de tema.
Solo los moderadores del espacio deciden, cada uno desde la dirección a la que se envió este mensaje.""",
    "ru": """Ответьте на это письмо, по одной команде в строке, в начале ответа:

  approve          опубликовать сообщение
  approve trust    опубликовать, и впредь публиковать сообщения этого отправителя в этом пространстве
  reject ПРИЧИНА   не публиковать; автору сообщается причина
  discard          не публиковать; никто не уведомляется (спам)
  move qN          отнести к направляющему вопросу N (затем approve на следующей строке)
  edit             заменить текст строками между
                   ---begin---
                   ...
                   ---end---
  help             этот список

В сводке из нескольких сообщений добавьте номер: approve 12, reject 13 не по теме.
Решают только модераторы пространства, каждый со своего адреса, на который пришло это письмо.""",
}

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "held": "held for moderation",
        "waiting": "A contribution to “{title}” is waiting for a moderator.",
        "post": "Post",
        "from": "From",
        "subject": "Subject",
        "question": "Question",
        "received": "Received",
        "note": "Note",
        "none": "(none: the space as a whole)",
        "attachments": "Attachments",
        "no_subject": "(no subject)",
        "no_text": "(no text)",
        "original": "The original message is attached.",
    },
    "fr": {
        "held": "en attente de modération",
        "waiting": "Une contribution à « {title} » attend un modérateur.",
        "post": "Contribution",
        "from": "De",
        "subject": "Objet",
        "question": "Question",
        "received": "Reçue",
        "note": "Remarque",
        "none": "(aucune : l'espace dans son ensemble)",
        "attachments": "Pièces jointes",
        "no_subject": "(sans objet)",
        "no_text": "(sans texte)",
        "original": "Le message d'origine est joint.",
    },
    "es": {
        "held": "pendiente de moderación",
        "waiting": "Una contribución a «{title}» espera a un moderador.",
        "post": "Contribución",
        "from": "De",
        "subject": "Asunto",
        "question": "Pregunta",
        "received": "Recibida",
        "note": "Nota",
        "none": "(ninguna: el espacio en su conjunto)",
        "attachments": "Adjuntos",
        "no_subject": "(sin asunto)",
        "no_text": "(sin texto)",
        "original": "Se adjunta el mensaje original.",
    },
    "ru": {
        "held": "ожидает модерации",
        "waiting": "Сообщение в «{title}» ожидает модератора.",
        "post": "Сообщение",
        "from": "От",
        "subject": "Тема",
        "question": "Вопрос",
        "received": "Получено",
        "note": "Примечание",
        "none": "(нет: пространство в целом)",
        "attachments": "Вложения",
        "no_subject": "(без темы)",
        "no_text": "(без текста)",
        "original": "Исходное письмо приложено.",
    },
}


def notice_words(language: str) -> dict[str, str]:
    base = language.split("-")[0]
    return {**WORDS.get(base, WORDS["en"]), "help": HELP.get(base, HELP["en"])}
