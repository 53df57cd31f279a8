"""Running a check: the scenarios (full reads, a second run, resumes, interruptions), each
through the real engine in a scratch workspace, and then the judgement of what they showed.

The scenarios, in order:

1. a full read from scratch, then a second run from the state it saved (``since`` and
   cursor), in the same workspace;
2. a second full read in a fresh workspace: the two must agree (ids and content);
3. for each sampled checkpoint of the full read: a run cancelled right after it, then a
   resume; the store must equal the full read's;
4. interruptions - cancel at a batch boundary, cancel mid-batch, an exception injected in
   place of a document - each followed by a resume; store and counts must be exact;
5. when a comparison failed: one more full read, to tell a connector bug from a source that
   changed while the check ran.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncdeck.core.connector import BaseConnector
from syncdeck.core.describe import describe_error
from syncdeck.devkit.leaks import SecretScanner
from syncdeck.devkit.probe import CHECKPOINT, DOCUMENT, UNCHANGED, CheckAborted, Stop
from syncdeck.devkit.report import ASSUMPTIONS, CheckReport
from syncdeck.devkit.workspace import Digests, RunOutcome, Scratch, Workspace

DEFAULT_MAX_RESUMES = 25
DEFAULT_BATCH_SIZE = 100

CheckCancelled = CheckAborted
Progress = Callable[[str, int, int], None]  # (what is running, runs done, runs planned)


@dataclass(frozen=True)
class CheckOptions:
    """How hard to look.

    ``max_resumes`` bounds the checkpoints resumed from (all of them when there are fewer;
    an even spread otherwise; 0 skips the resume checks). ``batch_size`` is the engine's for
    the full reads and resumes; interruptions use smaller batches (a quarter of the source,
    at most ``batch_size``) so that a small source still spans several.
    """

    max_resumes: int = DEFAULT_MAX_RESUMES
    batch_size: int = DEFAULT_BATCH_SIZE
    delete_limit: float = 0.5
    keep: bool = False  # keep the scratch databases, for a look with sqlite3
    scratch_parent: Path | None = None


@dataclass
class ResumeTrial:
    """A run cancelled right after one checkpoint of the full read, then resumed."""

    number: int  # 1-based among the full read's checkpoints with a string cursor
    position: int  # the checkpoint's position in the full read
    cursor: str
    covered: list[str]  # ids the full read yielded (as documents) before the checkpoint
    partial: RunOutcome
    resumed: RunOutcome | None = None
    digests: Digests = field(default_factory=dict)
    items_synced: int = 0
    stored: int = 0

    @property
    def label(self) -> str:
        return f"resume from checkpoint {self.number}"


@dataclass
class InterruptTrial:
    """A run stopped on purpose (cancel, or an exception injected), then resumed."""

    name: str  # "cancel at a batch boundary", ...
    stop: Stop
    partial: RunOutcome
    resumed: RunOutcome | None = None
    digests: Digests = field(default_factory=dict)
    items_synced: int = 0
    stored: int = 0


@dataclass
class Observations:
    """Everything the scenarios showed, for the checks to judge."""

    connector_id: str
    type_name: str
    class_name: str
    lists_source: bool
    scanner: SecretScanner
    batch_size: int
    max_resumes: int
    full: RunOutcome
    baseline: Digests
    rejected: list[Any] = field(default_factory=list)
    second: RunOutcome | None = None
    second_digests: Digests = field(default_factory=dict)
    repeat: RunOutcome | None = None
    repeat_digests: Digests = field(default_factory=dict)
    final: RunOutcome | None = None
    final_digests: Digests = field(default_factory=dict)
    checkpoints_resumable: int = 0
    resumes: list[ResumeTrial] = field(default_factory=list)
    interrupt_batch_size: int = 0
    interruptions: list[InterruptTrial] = field(default_factory=list)
    interruptions_skipped: list[str] = field(default_factory=list)
    outcomes: list[RunOutcome] = field(default_factory=list)
    # (position, cursor, reason) of yielded cursors the connector's check_cursor refuses
    refused_cursors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def has_secrets(self) -> bool:
        return bool(self.scanner)

    @property
    def unstable(self) -> bool:
        """Two full reads disagreed: ids or content differ from one read to the next."""
        return (
            self.repeat is not None
            and self.repeat.succeeded
            and (self.repeat_digests != self.baseline)
        )

    @property
    def source_changed(self) -> bool:
        """A last full read, made because a comparison failed, differs from the first."""
        return (
            self.final is not None
            and self.final.succeeded
            and (self.final_digests != self.baseline)
        )

    @property
    def comparable(self) -> bool:
        return self.full.succeeded and not self.unstable and not self.source_changed


def _refused_cursors(
    factory: Callable[[], BaseConnector], checkpoints: list[Any]
) -> list[tuple[int, str, str]]:
    """The cursors a connector yielded that its own ``check_cursor`` refuses: the cursor an
    operator copies from ``status`` and types back must be one the connector accepts."""
    refused: list[tuple[int, str, str]] = []
    connector = factory()
    try:
        for item in checkpoints:
            try:
                connector.check_cursor(item.cursor)
            except Exception as exc:
                refused.append((item.position, item.cursor, describe_error(exc)))
    finally:
        with contextlib.suppress(Exception):
            connector.close()
    return refused


def spread(count: int, most: int) -> list[int]:
    """Up to ``most`` indices of ``range(count)``, evenly spread, first and last included."""
    if most <= 0 or count <= 0:
        return []
    if count <= most:
        return list(range(count))
    if most == 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def interrupt_batch(documents: int, batch_size: int) -> int:
    """Batches for the interruption runs: about a quarter of the source (at least two
    documents, so that a batch has a middle; at most ``batch_size``)."""
    if documents < 3:
        return 1
    return max(2, min(batch_size, documents // 4))


def interruption_points(documents: int, batch: int) -> list[tuple[str, Stop]]:
    """Where the interruption scenarios stop a run of ``documents`` in batches of ``batch``."""
    if documents < 2:
        return []
    boundary = batch * max(1, (documents // 2) // batch)
    if boundary >= documents:
        boundary = max(1, documents - 1)
    points = [("cancel at a batch boundary", Stop("cancel", document=boundary))]
    middle = boundary + batch // 2
    if batch >= 2 and middle < documents:
        points.append(("cancel in the middle of a batch", Stop("cancel", document=middle)))
    fault = min(documents, max(2, (3 * documents) // 4 + 1))
    points.append(("an exception injected in place of a document", Stop("raise", document=fault)))
    return points


class _Runner:
    def __init__(
        self,
        factory: Callable[[], BaseConnector],
        options: CheckOptions,
        scratch: Scratch,
        scanner: SecretScanner,
        abort: threading.Event | None,
        progress: Progress | None,
        clock: Callable[[], float],
    ) -> None:
        self.factory = factory
        self.options = options
        self.scratch = scratch
        self.scanner = scanner
        self.abort = abort
        self.progress = progress
        self.clock = clock
        self.outcomes: list[RunOutcome] = []
        self.planned = 4

    def workspace(self, name: str, batch_size: int | None = None) -> Workspace:
        return self.scratch.workspace(
            name,
            batch_size=batch_size or self.options.batch_size,
            delete_limit=self.options.delete_limit,
        )

    def run(
        self,
        workspace: Workspace,
        label: str,
        stop: Stop | None = None,
        watched: frozenset[str] = frozenset(),
    ) -> RunOutcome:
        if self.abort is not None and self.abort.is_set():
            raise CheckCancelled("the check was cancelled")
        if self.progress is not None:
            self.progress(label, len(self.outcomes), max(self.planned, len(self.outcomes) + 1))
        outcome = workspace.run(
            self.factory(),
            label,
            stop=stop,
            abort=self.abort,
            scanner=self.scanner,
            clock=self.clock,
            watched=watched,
        )
        self.outcomes.append(outcome)
        return outcome

    def observe(self, first: BaseConnector, type_name: str) -> Observations:
        connector_id = first.connector_id
        first_ws = self.workspace("full read")
        full = self.outcomes_first(first_ws, first)
        obs = Observations(
            connector_id=connector_id,
            type_name=type_name,
            class_name=f"{type(first).__module__}.{type(first).__qualname__}",
            lists_source=bool(getattr(first, "lists_source", False)),
            scanner=self.scanner,
            batch_size=self.options.batch_size,
            max_resumes=self.options.max_resumes,
            full=full,
            baseline=first_ws.digests(connector_id),
            rejected=first_ws.rejected(connector_id),
        )
        obs.outcomes = self.outcomes
        if not full.succeeded:
            first_ws.close()
            return obs
        checkpoints = [
            item
            for item in full.recording.items
            if item.kind == CHECKPOINT and isinstance(item.cursor, str)
        ]
        obs.checkpoints_resumable = len(checkpoints)
        obs.refused_cursors = _refused_cursors(self.factory, checkpoints)
        sample = [checkpoints[i] for i in spread(len(checkpoints), self.options.max_resumes)]
        documents = full.recording.documents
        obs.interrupt_batch_size = interrupt_batch(documents, self.options.batch_size)
        points = interruption_points(documents, obs.interrupt_batch_size)
        self.planned = 3 + 2 * len(sample) + 2 * len(points)

        obs.second = self.run(first_ws, "second run")
        obs.second_digests = first_ws.digests(connector_id)
        first_ws.close()

        repeat_ws = self.workspace("second full read")
        obs.repeat = self.run(repeat_ws, "second full read")
        obs.repeat_digests = repeat_ws.digests(connector_id)
        repeat_ws.close()

        covered: list[str] = []
        items = iter(full.recording.items)
        for number, checkpoint in enumerate(checkpoints, start=1):
            for item in items:
                if item.position >= checkpoint.position:
                    break
                if item.kind in (DOCUMENT, UNCHANGED) and item.id_ok and item.doc_id:
                    covered.append(item.doc_id)
            if checkpoint not in sample:
                continue
            trial_ws = self.workspace(f"resume {number}")
            ordinal = sum(
                1 for i in full.recording.items[: checkpoint.position] if i.kind == CHECKPOINT
            )
            label = f"resume from checkpoint {number}"
            partial = self.run(
                trial_ws,
                f"run cancelled after checkpoint {number}",
                Stop("cancel", checkpoint=ordinal),
            )
            trial = ResumeTrial(
                number, checkpoint.position, checkpoint.cursor, list(covered), partial
            )
            if partial.recording.stopped_at is not None:
                trial.resumed = self.run(trial_ws, label, watched=frozenset(covered))
            self._settle(trial, trial_ws, connector_id)
            obs.resumes.append(trial)

        for name, stop in points:
            trial_ws = self.workspace(name, obs.interrupt_batch_size)
            partial = self.run(trial_ws, f"run interrupted: {name}", stop)
            interrupt = InterruptTrial(name, stop, partial)
            if partial.recording.stopped_at is not None:
                interrupt.resumed = self.run(trial_ws, f"resume after: {name}")
            self._settle(interrupt, trial_ws, connector_id)
            obs.interruptions.append(interrupt)
        if not points:
            obs.interruptions_skipped.append(
                f"{documents} document(s): too few to interrupt a run and resume it"
            )

        if not obs.unstable and self._a_comparison_failed(obs):
            final_ws = self.workspace("last full read")
            obs.final = self.run(final_ws, "last full read")
            obs.final_digests = final_ws.digests(connector_id)
            final_ws.close()
        return obs

    def outcomes_first(self, workspace: Workspace, first: BaseConnector) -> RunOutcome:
        """The first full read runs the instance the caller built (its id and secrets are
        the check's), later runs each build their own."""
        if self.progress is not None:
            self.progress("full read", 0, self.planned)
        outcome = workspace.run(
            first,
            "full read",
            abort=self.abort,
            scanner=self.scanner,
            clock=self.clock,
            keep_items=True,
        )
        self.outcomes.append(outcome)
        return outcome

    @staticmethod
    def _settle(
        trial: ResumeTrial | InterruptTrial, workspace: Workspace, connector_id: str
    ) -> None:
        trial.digests = workspace.digests(connector_id)
        trial.items_synced = workspace.items_synced(connector_id)
        trial.stored = workspace.stored(connector_id)
        workspace.close()

    @staticmethod
    def _a_comparison_failed(obs: Observations) -> bool:
        trials: list[ResumeTrial | InterruptTrial] = [*obs.resumes, *obs.interruptions]
        if any(t.digests != obs.baseline for t in trials):
            return True
        second = obs.second
        return second is not None and (second.totals.written > 0 or second.totals.deleted > 0)


def run_checks(
    factory: Callable[[], BaseConnector],
    *,
    type_name: str = "",
    options: CheckOptions | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CheckReport:
    """Check the connector ``factory`` builds (a fresh instance for every run).

    Raises ``CheckCancelled`` when ``cancel`` is set while it runs; a connector that fails
    is never an exception here, it is what the report is about.
    """
    from syncdeck.devkit.checks import judge

    options = options or CheckOptions()
    started = clock()
    first = factory()
    secrets = tuple(getattr(first, "secret_values", ()) or ())
    scanner = SecretScanner(secrets)
    with Scratch(options.scratch_parent, keep=options.keep) as scratch:
        runner = _Runner(factory, options, scratch, scanner, cancel, progress, clock)
        obs = runner.observe(first, type_name or type(first).__name__)
    results = judge(obs)
    report = CheckReport(
        connector_id=obs.connector_id,
        type_name=obs.type_name,
        class_name=obs.class_name,
        results=results,
        settings={
            "documents": obs.full.recording.documents,
            "checkpoints": obs.full.recording.checkpoints,
            "resumes": len(obs.resumes),
            "max_resumes": options.max_resumes,
            "batch_size": options.batch_size,
            "interrupt_batch_size": obs.interrupt_batch_size,
            "delete_limit": options.delete_limit,
            "runs": len(obs.outcomes),
        },
        elapsed=clock() - started,
        assumptions=ASSUMPTIONS,
        documents=dict(obs.baseline),
        scratch=scratch.root if options.keep else None,
    )
    return report.redacted(secrets)


def check_type(
    type_name: str,
    params: Mapping[str, Any] | None = None,
    *,
    connector_id: str | None = None,
    options: CheckOptions | None = None,
    base_dir: str | Path | None = None,
) -> CheckReport:
    """Check a connector type with ``params`` (for a test of your own connector):
    ``check_type("./my_connector.py:MyConnector", {"path": "data"})``. Relative paths,
    the file's included, are taken from ``base_dir`` (default: the current folder)."""
    from syncdeck.devkit.target import type_target

    target = type_target(
        type_name, dict(params or {}), connector_id=connector_id, base_dir=base_dir
    )
    return run_checks(target.factory, type_name=type_name, options=options)
