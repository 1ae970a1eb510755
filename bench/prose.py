"""Generated prose in six languages with a natural (Zipf) spread of words, for benchmarks that search.

A vocabulary per language: common words written here first (the head: words most posts share),
then the long tail from CLDR's names of countries, languages, currencies and scripts in that
language (Babel's data), so that a search for a topic word matches some posts, not all of them.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from functools import cache

HEAD = {
    "en": "the of and to in a is that for on we with our are as this be by from at migrants migration "
    "not have it or their policy people support local city services access rights workers children "
    "women regional review national programme data evidence labour integration return partners "
    "countries government should community health education housing protection recommend report",
    "fr": "le la de et les des à un une en du que pour dans nous sur est au pas par migrants migration "
    "politique personnes accès droits travailleurs enfants femmes examen régional national données "
    "intégration retour partenaires pays gouvernement communauté santé éducation logement protection",
    "es": "el la de que y en los las un una por con para del se es al no migrantes migración política "
    "personas acceso derechos trabajadores niños mujeres examen regional nacional datos integración "
    "retorno socios países gobierno comunidad salud educación vivienda protección recomendamos",
    "ru": "и в не на что с по для мы это как из к мигрантов миграции политика людей доступ права "
    "работников детей женщин обзор региональный национальный данные интеграция возвращение "
    "партнёры страны правительство общины здоровье образование жильё защита рекомендуем",
    "ar": "في من على أن إلى مع هذا التي الذي عن المهاجرين الهجرة سياسة الناس الوصول حقوق العمال "
    "الأطفال النساء المراجعة الإقليمية الوطنية البيانات الإدماج العودة الشركاء البلدان الحكومة",
    "zh": "的 和 在 是 我们 移民 政策 人员 权利 工人 儿童 妇女 区域 审查 国家 数据 融合 返回 伙伴 "
    "国家 政府 社区 健康 教育 住房 保护 建议 报告 地方 城市 服务",
}
SHARE = {"en": 0.60, "fr": 0.15, "es": 0.12, "ru": 0.08, "ar": 0.03, "zh": 0.02}
WORD = re.compile(r"\w+")


@cache
def vocabulary(language: str) -> tuple[str, ...]:
    """Head words first, then the CLDR tail, each once, in a fixed order."""
    from babel import Locale

    locale = Locale.parse(language)
    tail = sorted(
        {
            word.lower()
            for names in (locale.territories, locale.languages, locale.currencies, locale.scripts)
            for name in names.values()
            for word in WORD.findall(name)
            if len(word) > 2
        }
    )
    return tuple(dict.fromkeys([*HEAD[language].split(), *tail]))


@cache
def _weights(size: int) -> list[float]:
    """Cumulative Zipf weights (s = 1.07, as in natural text) for ranks 1..size."""
    return list(itertools.accumulate(1 / rank**1.07 for rank in range(1, size + 1)))


def words(rng: random.Random, language: str, count: int) -> list[str]:
    vocab = vocabulary(language)
    cumulative = _weights(len(vocab))
    top = cumulative[-1]
    return [vocab[bisect.bisect(cumulative, rng.random() * top)] for _ in range(count)]


def language(rng: random.Random) -> str:
    return rng.choices(list(SHARE), weights=list(SHARE.values()))[0]


def paragraph(rng: random.Random, lang: str) -> str:
    """A few sentences of 6 to 20 words each."""
    sentences = []
    for _ in range(rng.randint(2, 6)):
        text = " ".join(words(rng, lang, rng.randint(6, 20)))
        sentences.append(text[:1].upper() + text[1:] + ("。" if lang == "zh" else "."))
    return ("" if lang == "zh" else " ").join(sentences)


def post_text(rng: random.Random, lang: str) -> str:
    return "\n\n".join(paragraph(rng, lang) for _ in range(rng.randint(1, 4)))


def query(rng: random.Random) -> str:
    """What a reader searches for: one or two topic words (ranks 15 to 400) of one language."""
    lang = language(rng)
    vocab = vocabulary(lang)
    ranks = [min(15 + int(rng.expovariate(1 / 80)), 400, len(vocab) - 1) for _ in range(rng.randint(1, 2))]
    return " ".join(vocab[rank] for rank in ranks)
