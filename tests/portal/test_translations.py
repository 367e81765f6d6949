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


def test_no_two_menu_entries_of_a_role_read_the_same_in_either_language():
    # "公開中の課題" and "募集中の課題" were both "Open issues" in a partner's English menu.
    from portal.models import Role
    from portal.registry import menu_for

    repeated = {}
    for role in [None, *Role.values]:
        for language in ("ja", "en"):
            with translation.override(language):
                labels = [str(entry.label) for entry in menu_for(role)]
            twice = sorted({label for label in labels if labels.count(label) > 1})
            if twice:
                repeated[(role, language)] = twice
    assert repeated == {}
