"""What each DJANGO_ENV turns on, read the way a server process reads it: a fresh import.

Settings are evaluated once per process, so each case imports them in a subprocess with
only the variables under test set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_VARS = (
    "DJANGO_ENV",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_STATIC_ROOT",
    "EMAIL_BACKEND",
)


def _settings(**env: str) -> dict:
    clean = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARS}
    probe = (
        "import json, config.settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'STATIC_ROOT': str(s.STATIC_ROOT), "
        "'MAIL': s.MAILERS['default']['BACKEND']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_debugs():
    assert _settings()["DEBUG"] is True
    assert _settings(DJANGO_ENV="development")["DEBUG"] is True


@pytest.mark.parametrize("env", ["production", "staging", "test"])
def test_every_other_environment_hides_tracebacks(env):
    assert _settings(DJANGO_ENV=env, DJANGO_SECRET_KEY="k" * 50)["DEBUG"] is False


def test_debug_can_still_be_chosen_explicitly():
    assert _settings(DJANGO_ENV="staging", DJANGO_DEBUG="1")["DEBUG"] is True
    assert _settings(DJANGO_DEBUG="0")["DEBUG"] is False


def test_static_root_follows_the_environment(tmp_path):
    assert _settings()["STATIC_ROOT"] == str(ROOT / "staticfiles")
    assert _settings(DJANGO_STATIC_ROOT=str(tmp_path))["STATIC_ROOT"] == str(tmp_path)


def test_production_sends_mail_and_development_prints_it():
    # A console backend in production would drop every notice unseen (check --deploy: mail.E001).
    production = _settings(DJANGO_ENV="production", DJANGO_SECRET_KEY="k" * 50)
    assert production["MAIL"] == "django.core.mail.backends.smtp.EmailBackend"
    assert _settings()["MAIL"] == "django.core.mail.backends.console.EmailBackend"
