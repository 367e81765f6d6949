"""Walks the URL resolver: every route of the portal with its name, pattern and view."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Third-party areas with their own authentication (Django admin: is_staff + permissions).
EXCLUDED_NAMESPACES = ("admin",)
EXCLUDED_NAMES = {"set_language"}
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: object

    def path(self, **values: object) -> str:
        def fill(match: re.Match[str]) -> str:
            converter, key = match.group(1), match.group(2)
            if key in values:
                return str(values[key])
            return "no-such-code" if converter in {"slug", "str"} else "999999"

        return "/" + ARGUMENT.sub(fill, self.pattern).replace("^", "").replace("$", "")

    @property
    def has_arguments(self) -> bool:
        return bool(ARGUMENT.search(self.pattern))


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                if inner and inner.split(":")[0] in EXCLUDED_NAMESPACES:
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                if name in EXCLUDED_NAMES:
                    continue
                routes.append(Route(name or "", prefix + str(entry.pattern), entry.callback))

    walk(get_resolver().url_patterns, "", None)
    return routes
