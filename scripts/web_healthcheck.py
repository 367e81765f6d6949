"""docker-compose's healthcheck of `web`: gunicorn, inside the container, answers /health/ 200.

The probe reaches gunicorn over plain HTTP on 127.0.0.1, but production answers only the site's
host names (DJANGO_ALLOWED_HOSTS: anything else gets 400) and redirects plain HTTP to HTTPS.
So the probe presents itself as the TLS proxy does: the site's host name and
`X-Forwarded-Proto: https`. Exit status 0 = healthy.
"""

import os
import sys
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/health/"
if not url.startswith("http://"):
    sys.exit(f"not an http:// URL: {url}")
hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
# ".example.jp" allows example.jp itself; "*" allows any name.
host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})  # noqa: S310
try:
    with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310  # nosec B310 - http only
        sys.exit(0 if reply.status == 200 else 1)
except OSError as exc:  # refused, timed out, or an HTTP error status (503: database down)
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
