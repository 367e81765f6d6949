"""Static files survive production's collectstatic, which hashes every file it references.

The manifest storage refuses a file that names another file it cannot find, and the Docker
image build runs that collectstatic: one vendored library pointing at a source map nobody
vendored broke the build and, without the manifest, every HTML page answered 500.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

STATIC = Path(settings.BASE_DIR) / "static"
# `//# sourceMappingURL=x.map` (JS) and `/*# sourceMappingURL=x.map */` (CSS).
SOURCE_MAP = re.compile(rb"[#@]\s*sourceMappingURL=([^\s*'\"]+)")


def test_every_source_map_a_static_file_names_is_vendored_with_it():
    missing = []
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.suffix not in {".js", ".css", ".mjs"}:
            continue
        for name in SOURCE_MAP.findall(path.read_bytes()):
            target = name.decode()
            if target.startswith("data:"):  # an inline map needs no file
                continue
            if not (path.parent / target.split("?")[0]).is_file():
                missing.append(f"{path.relative_to(STATIC)} -> {target}")
    assert not missing, "source maps named but not vendored (strip the comment): " + ", ".join(
        missing
    )


def test_production_collectstatic_hashes_every_file(tmp_path, settings):
    # Production's storage without the compression step: the same references are followed.
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"vendor/chartjs/chart.umd.min.js"' in manifest
    assert '"css/portal.css"' in manifest
