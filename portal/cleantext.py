"""Control characters: no person types them, spreadsheets cannot hold them, forms refuse them.

C0 control characters other than tab, line feed and carriage return (a browser sends a
textarea's line breaks as CR LF) arrive only by pasting from another program or from a script.
openpyxl refuses them in a cell, so one of them in a record used to make an XLSX export fail
for everyone; the forms refuse them with a message and every export removes them.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character_find(value: str) -> str | None:
    """The first forbidden control character in ``value`` as U+XXXX, or None."""
    match = CONTROL_CHARACTERS.search(value)
    return f"U+{ord(match.group()):04X}" if match else None


def control_characters_remove(value: str) -> str:
    return CONTROL_CHARACTERS.sub("", value)
