"""Control characters: no person types them, spreadsheets cannot hold them, forms refuse them.

C0 control characters other than tab, line feed and carriage return (a browser sends a
textarea's line breaks as CR LF) arrive only by pasting from another program or from a script.
openpyxl refuses them in a cell, so one of them in a record used to make an XLSX export fail
for everyone; the forms refuse them with a message and every export removes them.

The same holds for the other characters that no one types and that change how text looks
or reads rather than what it says (issue #15, newcomer probe): DEL (U+007F) and the C1
controls (U+0080–U+009F, e.g. a NEL from a legacy system), the line and paragraph separators
U+2028/U+2029 (a line break that no textarea sends and that splits a line where the person
sees none), and the bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069
(U+202E turns 「txt.exe」 into what reads as 「exe.txt」: the "Trojan Source" trick).
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def control_character_find(value: str) -> str | None:
    """The first forbidden control character in ``value`` as U+XXXX, or None."""
    match = CONTROL_CHARACTERS.search(value)
    return f"U+{ord(match.group()):04X}" if match else None


def control_characters_remove(value: str) -> str:
    return CONTROL_CHARACTERS.sub("", value)
