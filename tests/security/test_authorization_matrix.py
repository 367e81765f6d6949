"""Every URL × role against the explicit table in access_table.py.

A route missing from the table fails; a view whose declared policy differs from the table fails;
a role outside a route's policy that gets anything but a refusal fails. Holes found in civic
platforms were entry points that never called the permission check: this walks them all.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.access_table import ACCESS, ROLE_CODES
from tests.security.routes import all_routes

PRINCIPALS = [
    "anonymous",
    "partner_a",
    "partner_b",
    "coordinator",
    "coordinator_other_ward",
    "approver",
    "evaluator",
    "admin_user",
]
PRINCIPAL_ROLE = {
    "partner_a": "partner",
    "partner_b": "partner",
    "coordinator": "coordinator",
    "coordinator_other_ward": "coordinator",
    "approver": "approver",
    "evaluator": "evaluator",
    "admin_user": "admin",
}
ROUTES = {route.name: route for route in all_routes()}


def _allowed(policy: str, principal: str) -> bool:
    if policy == "public":
        return True
    if principal == "anonymous":
        return False
    return PRINCIPAL_ROLE[principal] in {ROLE_CODES[code] for code in policy.split(",")}


def test_every_route_is_in_the_table_and_the_table_has_no_stale_rows():
    missing = sorted(set(ROUTES) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(ROUTES))
    assert missing == [], f"routes without an expected access policy: {missing}"
    assert stale == [], f"table rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_declared_policy_matches_the_table(name):
    view = ROUTES[name].view
    declared = getattr(view, "access", None)
    assert declared is not None, f"{name}: the view declares no access policy"
    if declared == "public":
        assert ACCESS[name] == "public", f"{name} is public but the table says {ACCESS[name]}"
    else:
        expected = {ROLE_CODES[code] for code in ACCESS[name].split(",")}
        assert {str(role) for role in declared} == expected, name


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_roles_outside_a_policy_are_refused_on_every_route(db, request, principal):
    client = Client()
    if principal != "anonymous":
        client.force_login(request.getfixturevalue(principal))
    leaks = []
    for name, policy in sorted(ACCESS.items()):
        if _allowed(policy, principal):
            continue
        route = ROUTES[name]
        for method in ("get", "post"):
            response = getattr(client, method)(route.path())
            refused = response.status_code in {403, 404, 405} or (
                principal == "anonymous"
                and response.status_code == 302
                and "/login/" in response.headers.get("Location", "")
            )
            if not refused:
                leaks.append(f"{method.upper()} {route.path()} ({name}) → {response.status_code}")
    assert leaks == []


def test_every_state_change_requires_a_csrf_token(db, admin_user, request):
    """POST without a token is refused on every route the admin may use (CSRF on by default)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    unprotected = []
    for name in sorted(ACCESS):
        if name in CSRF_EXEMPT:
            continue
        route = ROUTES[name]
        response = client.post(route.path(), {"x": "1"})
        if response.status_code not in {403, 405}:
            unprotected.append(f"POST {route.path()} ({name}) → {response.status_code}")
    assert unprotected == []


# Machine-to-machine endpoints authenticated by a bearer token, not a session cookie.
CSRF_EXEMPT = {"evaluation:device_measurements"}
