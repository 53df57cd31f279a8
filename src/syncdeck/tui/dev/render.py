"""What the dev app paints, as Rich text: check rows, the evidence of one check, what
changed since the last save, the dry run's items, a load failure. Pure functions of the
results and a style lookup, so they are tested without an app."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text

from syncdeck.core.inspection import InspectItem, InspectReport
from syncdeck.devkit.changes import Changes
from syncdeck.devkit.report import CheckResult, Status
from syncdeck.devkit.session import DevResult, LoadFailure

#: ``style(role)`` -> a Rich style from the theme: "error", "success", "warning", "accent"
Styles = Callable[[str], Style]

ROLES = {Status.PASSED: "success", Status.FAILED: "error", Status.NOT_APPLICABLE: "foreground"}
MAX_LISTED = 8  # documents listed by name in "since the last save"


def check_cells(result: CheckResult, style: Styles, width: int) -> tuple[Text, Text, Text]:
    """The symbol, the id and the summary cut to ``width`` cells."""
    role = ROLES[result.status]
    summary = Text(result.summary, no_wrap=True)
    summary.truncate(width, overflow="ellipsis")
    return (
        Text(result.status.symbol(), style=style(role)),
        Text(result.id, style=style(role) if result.failed else Style()),
        summary,
    )


def evidence_text(result: CheckResult, style: Styles) -> Text:
    text = Text()
    text.append(f"{result.status.symbol()} {result.id}", style=style(ROLES[result.status]))
    text.append(f" · {result.title}\n", style=Style(bold=True))
    text.append(result.summary + "\n")
    for evidence in result.evidence:
        text.append(f"• {evidence.line()}\n", style=style("error") if result.failed else Style())
        if evidence.detail:
            text.append(evidence.detail.rstrip() + "\n", style=Style(dim=True))
    for note in result.notes:
        text.append(f"note: {note}\n", style=style("warning"))
    if result.measurements:
        shown = ", ".join(f"{k} {v}" for k, v in result.measurements.items() if v is not None)
        text.append(shown, style=Style(dim=True))
    text.rstrip()
    return text


def changes_text(result: DevResult, style: Styles) -> Text:
    text = Text()
    if result.failure is not None:
        text.append("the connector does not load", style=style("error"))
        return text
    changes = result.changes
    if changes is None:
        text.append("first check: save the file to see what changes", style=Style(dim=True))
        return text
    if changes.empty:
        text.append(f"nothing changed since #{result.compared_with}", style=Style(dim=True))
        return text
    text.append(f"since #{result.compared_with}:\n", style=Style(dim=True))
    for change in changes.started_failing:
        text.append(f"✗ {change.id} started failing\n", style=style("error"))
    for change in changes.stopped_failing:
        now = "passes" if change.after is Status.PASSED else "does not apply"
        text.append(f"✓ {change.id} {now} now\n", style=style("success"))
    for change in changes.checks:
        if change.after is not Status.FAILED and change.before is not Status.FAILED:
            before = change.before.label if change.before else "new"
            text.append(f"• {change.id}: {before} → {change.after.label}\n")
    _documents(text, changes, style)
    text.rstrip()
    return text


def _documents(text: Text, changes: Changes, style: Styles) -> None:
    if not changes.documents_compared:
        text.append("documents: not compared (a full read failed)\n", style=Style(dim=True))
        return
    for sign, ids, what, role in (
        ("+", changes.added, "added", "success"),
        ("-", changes.gone, "gone", "error"),
        ("~", changes.edited, "edited", "warning"),
    ):
        if not ids:
            continue
        listed = ", ".join(ids[:MAX_LISTED]) + (" …" if len(ids) > MAX_LISTED else "")
        text.append(f"{sign} {len(ids)} document(s) {what}: {listed}\n", style=style(role))


def failure_text(failure: LoadFailure, kept: int | None, style: Styles) -> Text:
    text = Text()
    text.append(failure.message + "\n\n", style=style("error") + Style(bold=True))
    text.append(failure.traceback + "\n\n", style=style("error"))
    tail = (
        f"the checks of #{kept}, the last version that loaded, are kept; save the file to try again"
        if kept
        else "save the file to try again"
    )
    text.append(tail, style=Style(dim=True))
    return text


def item_cells(item: InspectItem) -> tuple[Text, Text, Text, Text, Text]:
    index = Text(str(item.index), justify="right")
    if item.kind == "checkpoint":
        cursor = item.cursor if isinstance(item.cursor, str) else repr(item.cursor)
        return (index, Text("checkpoint"), Text(cursor, overflow="ellipsis"), Text(""), Text(""))
    if item.kind != "document":
        return (index, Text(item.kind), Text(item.doc_id or ""), Text(""), Text(""))
    stamp = item.timestamp.strftime("%Y-%m-%d %H:%M") if item.timestamp else ""
    return (
        index,
        Text("document"),
        Text(item.doc_id or "", overflow="ellipsis", no_wrap=True),
        Text(item.title, overflow="ellipsis", no_wrap=True),
        Text(stamp),
    )


def inspect_notes(report: InspectReport, style: Styles) -> Text:
    text = Text()
    text.append(
        f"{report.documents} documents, {report.checkpoints} checkpoints · {report.ending}\n"
    )
    for warning in report.warnings:
        text.append(f"⚠ {warning}\n", style=style("warning"))
    if report.error:
        text.append(report.error + "\n", style=style("error"))
    text.rstrip()
    return text
