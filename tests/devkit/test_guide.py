"""The guide describes the checks and the JSON report that exist: a check added, renamed
or removed, or a report field changed, without the guide following, fails here."""

from __future__ import annotations

import re
from pathlib import Path

from syncdeck.devkit.checks import CHECKS, TITLES
from syncdeck.devkit.report import SCHEMA, CheckReport

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "writing-a-connector.md").read_text()


def table_after(header: str) -> list[str]:
    """The first cells of the Markdown table whose header row starts with ``header``."""
    lines = GUIDE[GUIDE.index(header) :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1].strip())
    return rows


def test_the_guide_has_one_row_per_check_in_their_order() -> None:
    ids = [cell.strip("`") for cell in table_after("| id | passes when |")]
    assert ids == list(TITLES)
    assert len(CHECKS) == len(TITLES)


def test_the_guide_documents_every_field_of_the_json_report() -> None:
    documented = {
        name
        for cell in table_after("| field | meaning |")
        for name in re.findall(r"`([a-z_]+)(?:\[\])?[`.]", cell)
    }
    report = CheckReport("c", "t", "m.C", ()).to_json()
    assert set(report) <= documented
    assert f'"schema": "{SCHEMA}"' in GUIDE


def test_the_readme_links_the_guide() -> None:
    assert "(docs/writing-a-connector.md)" in (ROOT / "README.md").read_text()
