"""What changed between two saves of a connector under development: checks that started or
stopped failing (or came to apply, or stopped applying), and documents added, gone or
edited in its full read."""

from __future__ import annotations

from dataclasses import dataclass

from syncdeck.devkit.report import CheckReport, Status


@dataclass(frozen=True)
class CheckChange:
    id: str
    title: str
    before: Status | None  # None: the check did not exist before
    after: Status


@dataclass(frozen=True)
class Changes:
    checks: tuple[CheckChange, ...] = ()
    added: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    documents_compared: bool = True  # False when a full read failed on either side

    @property
    def started_failing(self) -> list[CheckChange]:
        return [c for c in self.checks if c.after is Status.FAILED]

    @property
    def stopped_failing(self) -> list[CheckChange]:
        return [c for c in self.checks if c.before is Status.FAILED]

    @property
    def empty(self) -> bool:
        return not (self.checks or self.added or self.gone or self.edited)


def compare(before: CheckReport, after: CheckReport) -> Changes:
    """How ``after`` differs from ``before``."""
    previous = {result.id: result.status for result in before.results}
    checks = tuple(
        CheckChange(result.id, result.title, previous.get(result.id), result.status)
        for result in after.results
        if previous.get(result.id) is not result.status
    )
    read_ok = all(report.result("full-read").status is Status.PASSED for report in (before, after))
    if not read_ok:
        return Changes(checks, documents_compared=False)
    old, new = before.documents, after.documents
    return Changes(
        checks,
        added=tuple(sorted(doc_id for _, doc_id in new.keys() - old.keys())),
        gone=tuple(sorted(doc_id for _, doc_id in old.keys() - new.keys())),
        edited=tuple(sorted(key[1] for key in old.keys() & new.keys() if old[key] != new[key])),
    )
