"""The English UI says what the glossaries say, and Django's new strings read in Japanese."""

import polib
from django.utils import translation

from scripts.translate_po import PO, catalogue_sync, glossary_load


def test_catalogue_matches_the_glossaries_with_no_fuzzy_guess_left():
    po = polib.pofile(str(PO))
    changed, missing = catalogue_sync(po, glossary_load())
    assert (changed, missing) == (0, [])


def test_compiled_catalogue_gives_each_glossary_translation():
    glossary = glossary_load()
    entries = [entry for entry in polib.pofile(str(PO)) if entry.msgid]
    wrong = {}
    with translation.override("en"):
        for entry in entries:
            english = glossary[entry.msgid]
            # A count's glossary entry is a pair (singular, plural); the catalogue gives both.
            one, other = english if isinstance(english, list) else (english, english)
            shown = translation.gettext(entry.msgid)
            if shown != one:
                wrong[entry.msgid] = shown
            if entry.msgid_plural:
                plural = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                if plural != other:
                    wrong[entry.msgid_plural] = plural
    assert wrong == {}


def test_django_blank_choice_label_reads_in_japanese():
    from django.db.models.fields import BLANK_CHOICE_LABEL

    with translation.override("ja"):
        assert str(BLANK_CHOICE_LABEL) == "- 選択してください -"
