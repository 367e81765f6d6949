"""Which address a request came from: one answer for the login throttle, the access log and
the rate limits.

Behind a reverse proxy every request arrives from the proxy, and the client's own address is in
``X-Forwarded-For``, which anyone can also send. ``TRUSTED_PROXY_COUNT`` says how many proxies
of our own stand in front of the application (docker-compose: one, the TLS proxy). Each proxy
appends the address it received the request from, so the client is the entry our outermost
proxy wrote: the ``TRUSTED_PROXY_COUNT``-th from the right. Entries further left were written
by the client or by proxies we do not run and are ignored. With a count of 0 (the default, no
proxy) the header is not read at all. A header shorter than the count, or an entry that is not
an address, means the proxy is not set up as documented: the proxy's own address is used, so
every client shares one throttle (too strict, never too lax).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
