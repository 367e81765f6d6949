"""Menu entries, dashboard cards and public page sections that each app registers from its
AppConfig.ready().

portal knows no app above it; the apps above tell portal what to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.functional import Promise

CardContext = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100


@dataclass(frozen=True)
class DashboardCard:
    key: str
    title: str | Promise
    template: str
    roles: frozenset[str]
    context: CardContext = field(default=lambda user: {})
    order: int = 100


_menu: dict[str, MenuEntry] = {}
_cards: dict[str, DashboardCard] = {}


def menu_register(
    *, label: str | Promise, url_name: str, roles: Iterable[str], order: int = 100
) -> None:
    _menu[url_name] = MenuEntry(label, url_name, frozenset(roles), order)


def card_register(
    *,
    key: str,
    title: str | Promise,
    template: str,
    roles: Iterable[str],
    context: CardContext | None = None,
    order: int = 100,
) -> None:
    _cards[key] = DashboardCard(
        key, title, template, frozenset(roles), context or (lambda user: {}), order
    )


def menu_for(role: str | None) -> list[MenuEntry]:
    key = role or "public"
    return sorted((e for e in _menu.values() if key in e.roles), key=lambda e: e.order)


def cards_for(role: str) -> list[DashboardCard]:
    """The dashboard cards of a role; "public" gives the home page's cards for everyone."""
    return sorted((c for c in _cards.values() if role in c.roles), key=lambda c: c.order)


# Sections of a public page owned by a lower app that an app above fills in: the public issue
# page (issues) shows the collaboration project and its published results (matching,
# evaluation) without importing them. `context(obj)` answers the template's context, or None
# when the section has nothing to show for that object; it runs a fixed number of queries.
SectionContext = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class PageSection:
    key: str
    template: str
    context: SectionContext
    order: int = 100


_sections: dict[str, dict[str, PageSection]] = {}


def section_register(
    *, page: str, key: str, template: str, context: SectionContext, order: int = 100
) -> None:
    _sections.setdefault(page, {})[key] = PageSection(key, template, context, order)


def sections_for(page: str, obj: Any) -> list[dict[str, Any]]:
    """[{"section": PageSection, "ctx": dict}] of a page for one object, sections with
    nothing to show left out, in their order."""
    result = []
    for section in sorted(_sections.get(page, {}).values(), key=lambda s: s.order):
        ctx = section.context(obj)
        if ctx is not None:
            result.append({"section": section, "ctx": ctx})
    return result


@dataclass
class DemoContext:
    """Passed through every app's demo loader; loaders append the accounts they create."""

    seed: int
    password: str
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, note)
    log: Callable[[str], None] = print

    @cached_property
    def password_hash(self) -> str:
        """`password` hashed once: PBKDF2 costs ~0.5 s a call and every demo account shares it."""
        from django.contrib.auth.hashers import make_password

        return make_password(self.password)


DemoLoader = Callable[[DemoContext], None]
_demo_loaders: dict[str, tuple[int, DemoLoader]] = {}


def demo_loader_register(*, key: str, order: int, loader: DemoLoader) -> None:
    _demo_loaders[key] = (order, loader)


def demo_loaders() -> list[DemoLoader]:
    return [loader for _, loader in sorted(_demo_loaders.values(), key=lambda item: item[0])]


# Caseload providers: apps above portal (issues, matching) tell portal how many cases each
# coordinator carries, without portal importing them. A provider is called with the user ids
# and a fiscal year (April → March) and answers {user_id: {figure: count}}. Conventional
# figures: "active" (open cases now) and "supported_year" (cases supported in that fiscal
# year); any other key (e.g. "issues", "projects") is shown as a breakdown. Registering again
# under the same key replaces the earlier provider, so an app can take over a figure.
CaseloadProvider = Callable[[list[int], int], dict[int, dict[str, int]]]
_caseload_providers: dict[str, CaseloadProvider] = {}


def caseload_provider_register(*, key: str, provider: CaseloadProvider) -> None:
    _caseload_providers[key] = provider


def caseload_provider_unregister(*, key: str) -> None:
    _caseload_providers.pop(key, None)


def caseload_providers() -> list[CaseloadProvider]:
    return [_caseload_providers[key] for key in sorted(_caseload_providers)]
