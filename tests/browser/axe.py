"""Runs the vendored axe-core (tests/vendor/axe.min.js, no network) in a Playwright page."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js").read_text()
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """Violations of impact serious or critical on the current page (WCAG 2.1 A/AA rules)."""
    # Evaluated through the DevTools protocol, so the page's strict CSP is left as it is.
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]
