"""Sets every English msgstr in locale/en/LC_MESSAGES/django.po from the JSON glossaries.

Usage: python scripts/translate_po.py [--check]
The glossaries (locale/en/glossary*.json: Japanese source → English) are the reviewed source of
the English UI. Every entry is rewritten from them, so a guess msgmerge made for a changed
source text ("fuzzy") can never ship as a translation: an msgid without a glossary entry is left
empty (Django then shows the Japanese) and listed. With --check nothing is written and the exit
status says whether the catalogue matches the glossaries (`make lint` runs it).

A message with a context (pgettext) takes the key "context|msgid" where its English differs
from the msgid's without context. A count (ngettext, {% blocktranslate count %}) takes a pair ["%(n)s issue", "%(n)s issues"]
(English singular, plural); a single string is used for both forms.
"""

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "en"
PO = LOCALE / "LC_MESSAGES" / "django.po"


Glossary = dict[str, str | list[str]]


def glossary_load() -> Glossary:
    glossary: Glossary = {}
    for path in sorted(LOCALE.glob("glossary*.json")):
        glossary.update(json.loads(path.read_text(encoding="utf-8")))
    return glossary


def catalogue_sync(po: polib.POFile, glossary: Glossary) -> tuple[int, list[str]]:
    """Returns how many entries changed and which msgids have no English."""
    changed, missing = 0, []
    for entry in po:
        if not entry.msgid:
            continue
        # A message with a context (pgettext) is looked up as "context|msgid" first.
        english = glossary.get(f"{entry.msgctxt}|{entry.msgid}", "") if entry.msgctxt else ""
        english = english or glossary.get(entry.msgid, "")
        if not english:
            missing.append(entry.msgid)
        if isinstance(english, list) and not entry.msgid_plural:
            raise SystemExit(f"a singular/plural pair for a message without a count: {entry.msgid}")
        if entry.msgid_plural:
            one, other = english if isinstance(english, list) else (english, english)
            wanted = {0: one, 1: other}
            if entry.msgstr_plural != wanted:
                entry.msgstr_plural = wanted
                changed += 1
        elif entry.msgstr != english:
            entry.msgstr = english
            changed += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            changed += 1
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    return changed, missing


def main() -> int:
    check = "--check" in sys.argv[1:]
    po = polib.pofile(str(PO), wrapwidth=0)
    changed, missing = catalogue_sync(po, glossary_load())
    for source in missing:
        print(f"untranslated: {source}", file=sys.stderr)
    if check:
        if changed or missing:
            print(
                f"{PO}: {changed} entries differ from the glossaries, {len(missing)} untranslated;"
                " run `make messages`",
                file=sys.stderr,
            )
            return 1
        return 0
    po.save(str(PO))
    print(f"{changed} entries updated, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
