"""Keeping the catalogs in step with the code: `python -m templates.catalogs update|check`.

update: extract every msgid (Python, page and mail templates) into locale/hubmail.pot, merge it into
each language's .po, and write the English catalog from the msgids themselves.
check: list each catalog's missing or stale entries and placeholders that differ from the msgid's;
exit 1 if there is any (the test suite runs the same check).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from templates import DOMAIN, SHIPPED, SOURCE_LANGUAGE, catalog_path

ROOT = SHIPPED.parent  # the checkout: babel.cfg says where the words are
TEMPLATE = SHIPPED / "locale" / f"{DOMAIN}.pot"
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]")


def extract(target: Path) -> Catalog:
    """Every msgid in the code and templates, as `pybabel extract` with babel.cfg finds them."""
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "--no-location", "--sort-output", "--no-wrap",
             "--project", "hubmail", "--copyright-holder", "hubmail",
             "--ignore-dirs", ".* build tests bench", "-o", str(target), str(ROOT))  # fmt: skip
    with target.open("rb") as handle:
        return read_po(handle)


def update() -> None:
    extract(TEMPLATE)
    for path in sorted((SHIPPED / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = path.parent.parent.name
        _pybabel("update", "-i", str(TEMPLATE), "-o", str(path), "-l", language, "-D", DOMAIN,
                 "--no-wrap", "--no-fuzzy-matching", "--ignore-obsolete")  # fmt: skip
    _write_english(catalog_path(SHIPPED, SOURCE_LANGUAGE))


def _write_english(path: Path) -> None:
    """English says what the msgids say; a site may still reword it in its own en catalog."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=SOURCE_LANGUAGE)
    for message in catalog:
        if message.id:
            message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def problems(wanted: Catalog, path: Path) -> list[str]:
    """What the catalog at `path` lacks, or says with other placeholders, against `wanted`."""
    language = path.parent.parent.name
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = []
    for message in wanted:
        if not message.id:
            continue
        have = catalog.get(message.id, message.context)
        if have is None:
            found.append(f"{language}: missing {message.id!r}")
            continue
        found.extend(f"{language}: {text}" for text in _mismatches(message.id, have.string))
    return found


def _mismatches(msgid: str | tuple, string: str | tuple) -> list[str]:
    ids = msgid if isinstance(msgid, tuple) else (msgid,)
    strings = string if isinstance(string, tuple) else (string,)
    expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
    found = []
    for text in strings:
        if not text.strip():
            found.append(f"untranslated {ids[0]!r}")
            continue
        used = set(PLACEHOLDER.findall(text))
        # A plural form may leave the count out ("one contribution"), never another value.
        if used - expected or (expected - used) - {"%(count)s"}:
            found.append(f"placeholders differ in {text!r} (msgid {ids[0]!r})")
    return found


def check() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        wanted = extract(Path(folder) / f"{DOMAIN}.pot")
    paths = sorted((SHIPPED / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [problem for path in paths for problem in problems(wanted, path)]


def _pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        found = check()
        print("\n".join(found) or "every catalog is complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
