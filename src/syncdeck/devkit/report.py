"""What ``syncdeck check`` found: one result per check, with its evidence, as a table for
people and as JSON for CI (the schema is in docs/writing-a-connector.md)."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from syncdeck.core.redaction import redact_text

SCHEMA = "syncdeck-check/1"
MAX_EVIDENCE = 10  # evidence entries kept per check; the rest are counted
ASSUMPTIONS = (
    "the source does not change while the check runs (a live source that changes makes "
    "full reads differ: the comparisons that depend on it are then not applicable)",
    "the source can be read several times over: every resume and interruption is a run of "
    "its own against scratch databases",
)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    def symbol(self, *, unicode: bool = True) -> str:
        if unicode:
            return {"passed": "✓", "failed": "✗", "not_applicable": "\N{EN DASH}"}[self.value]
        return {"passed": "ok", "failed": "FAIL", "not_applicable": "n/a"}[self.value]


@dataclass(frozen=True)
class Evidence:
    """One fact behind a result: what was seen, in which run, where."""

    text: str
    run: str | None = None  # "full read", "resume from checkpoint 3", ...
    position: int | None = None  # 1-based position of the item in that run's output
    doc_ids: tuple[str, ...] = ()
    cursor: str | None = None
    detail: str | None = None  # a traceback, a longer listing

    def line(self) -> str:
        where = []
        if self.run:
            where.append(self.run)
        if self.position is not None:
            where.append(f"item {self.position}")
        prefix = f"[{', '.join(where)}] " if where else ""
        return prefix + self.text


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    summary: str  # one line: what passed, what failed, or why it does not apply
    evidence: tuple[Evidence, ...] = ()
    measurements: Mapping[str, int | float | str | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # worth knowing, not a failure

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


def capped(evidence: Sequence[Evidence], total: int | None = None) -> tuple[Evidence, ...]:
    """The first MAX_EVIDENCE entries, and one saying how many more there were."""
    total = len(evidence) if total is None else total
    kept = tuple(evidence[:MAX_EVIDENCE])
    if total > len(kept):
        kept += (Evidence(f"... and {total - len(kept)} more like these"),)
    return kept


@dataclass(frozen=True)
class CheckReport:
    connector_id: str
    type_name: str
    class_name: str
    results: tuple[CheckResult, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    assumptions: tuple[str, ...] = ASSUMPTIONS
    # (source, doc_id) -> content hash of the first full read: what `dev` compares
    # between two saves (not part of the JSON)
    documents: Mapping[tuple[str, str], str] = field(default_factory=dict, compare=False)
    scratch: Path | None = None  # the scratch folder, when kept

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def result(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    def redacted(self, secrets: Iterable[str]) -> CheckReport:
        """A copy in which every value of ``secrets`` is masked, whatever holds it."""
        return masked(self, secrets)

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "connector": {
                "id": self.connector_id,
                "type": self.type_name,
                "class": self.class_name,
            },
            "ok": self.ok,
            "exit_code": self.exit_code,
            "summary": self.counts(),
            "elapsed": round(self.elapsed, 3),
            "settings": dict(self.settings),
            "assumptions": list(self.assumptions),
            "scratch": str(self.scratch) if self.scratch else None,
            "checks": [
                {
                    "id": result.id,
                    "title": result.title,
                    "status": result.status.value,
                    "summary": result.summary,
                    "evidence": [_evidence_json(e) for e in result.evidence],
                    "measurements": dict(result.measurements),
                    "notes": list(result.notes),
                }
                for result in self.results
            ],
        }

    # -- text ------------------------------------------------------------------------------

    def render(self, *, width: int = 100, unicode: bool = True) -> str:
        """The table: one line per check, then the title and evidence of each failure."""
        counts = self.counts()
        head = f"check {self.connector_id} ({self.type_name})"
        documents = self.settings.get("documents")
        if documents is not None:
            head += f": {documents} document{'' if documents == 1 else 's'}"
        lines = [f"{head} in {self.elapsed:.1f}s"]
        id_width = max((len(r.id) for r in self.results), default=0)
        indent = " " * (4 + id_width + 2)
        for result in self.results:
            symbol = result.status.symbol(unicode=unicode)
            first = f"  {symbol:<2}{'' if unicode else ' '}{result.id:<{id_width}}  "
            lines.extend(_wrap(result.summary, width, first, indent))
            if result.failed:
                lines.extend(_wrap(result.title + ":", width, indent, indent))
                for evidence in result.evidence:
                    lines.extend(_wrap(evidence.line(), width, indent + "- ", indent + "  "))
                    if evidence.detail:
                        lines.extend(
                            indent + "  | " + row for row in evidence.detail.rstrip().splitlines()
                        )
            for note in result.notes if result.failed else ():
                lines.extend(_wrap(f"note: {note}", width, indent, indent + "  "))
        lines.append(
            f"{counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['not_applicable']} not applicable"
        )
        lines.extend(_wrap(f"assumes {self.assumptions[0]}", width, "", "  "))
        if self.scratch:
            lines.append(f"scratch databases kept in {self.scratch}")
        return "\n".join(lines)


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, len(first) + 20),
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "text": evidence.text,
        "run": evidence.run,
        "position": evidence.position,
        "doc_ids": list(evidence.doc_ids),
        "cursor": evidence.cursor,
        "detail": evidence.detail,
    }


def masked(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of ``value`` (text, containers, dataclasses) with ``secrets`` masked."""
    values = tuple(secrets)
    return _mask(value, values) if values else value


def _mask(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, tuple):
        return tuple(_mask(item, secrets) for item in value)
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    if isinstance(value, Mapping):
        return {_mask(k, secrets): _mask(v, secrets) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _mask(getattr(value, f.name), secrets) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value
