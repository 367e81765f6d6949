"""Fills English msgstr entries in locale/en/LC_MESSAGES/django.po from the JSON glossaries.

Usage: python scripts/translate_po.py  (reads every locale/en/glossary*.json)
The glossaries (Japanese source → English) are the reviewed source of the English UI;
`make messages` runs makemessages, this script and compilemessages.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(r'(msgid "((?:[^"\\]|\\.)*)"\nmsgstr )""', re.MULTILINE)
PLURAL = re.compile(
    r'(msgid "((?:[^"\\]|\\.)*)"\nmsgid_plural "(?:[^"\\]|\\.)*"\n)msgstr\[0\] ""\nmsgstr\[1\] ""',
    re.MULTILINE,
)


def main() -> int:
    glossary: dict[str, str] = {}
    for path in sorted(PO.parent.parent.glob("glossary*.json")):
        glossary.update(json.loads(path.read_text(encoding="utf-8")))
    text = PO.read_text(encoding="utf-8")
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        source = match.group(2)
        if not source:
            return match.group(0)
        english = glossary.get(source)
        if english is None:
            missing.append(source)
            return match.group(0)
        return f'{match.group(1)}"{json.dumps(english, ensure_ascii=False)[1:-1]}"'

    def fill_plural(match: re.Match[str]) -> str:
        english = glossary.get(match.group(2))
        if english is None:
            missing.append(match.group(2))
            return match.group(0)
        quoted = json.dumps(english, ensure_ascii=False)
        return f"{match.group(1)}msgstr[0] {quoted}\nmsgstr[1] {quoted}"

    text = ENTRY.sub(fill, text)
    text = PLURAL.sub(fill_plural, text)
    text = text.replace("#, fuzzy\n", "")
    PO.write_text(text, encoding="utf-8")
    for source in missing:
        print(f"untranslated: {source}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
