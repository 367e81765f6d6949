"""Fills empty English msgstr entries in locale/en/LC_MESSAGES/django.po from a JSON glossary.

Usage: python scripts/translate_po.py locale/en/glossary.json
The glossary (Japanese source → English) is the reviewed source of the English UI.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(r'(msgid "((?:[^"\\]|\\.)*)"\nmsgstr )""', re.MULTILINE)


def main() -> int:
    glossary = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
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

    text = ENTRY.sub(fill, text)
    text = text.replace("#, fuzzy\n", "")
    PO.write_text(text, encoding="utf-8")
    for source in missing:
        print(f"untranslated: {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
