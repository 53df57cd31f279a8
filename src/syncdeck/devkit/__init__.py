"""The connector developer kit: ``syncdeck check``, ``syncdeck new-connector`` and
``syncdeck dev`` (docs/writing-a-connector.md).

``check`` runs a connector through the real engine against scratch databases and judges
what it did against the sync and mirror contracts; the other two are built on it. For a
test of your own connector::

    from syncdeck.devkit import check_type

    report = check_type("./my_connector.py:MyConnector", {"path": "data"})
    assert report.ok, report.render()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["CheckOptions", "CheckReport", "check_type", "run_checks"]

if TYPE_CHECKING:
    from syncdeck.devkit.report import CheckReport
    from syncdeck.devkit.runner import CheckOptions, check_type, run_checks


def __getattr__(name: str) -> Any:
    # loaded on first use: ``import syncdeck.devkit`` stays cheap for the CLI
    if name == "CheckReport":
        from syncdeck.devkit.report import CheckReport

        return CheckReport
    if name in ("CheckOptions", "check_type", "run_checks"):
        from syncdeck.devkit import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'syncdeck.devkit' has no attribute {name!r}")
