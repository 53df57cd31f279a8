"""Scratch databases for ``check``: a knowledge store and a state database on real SQLite
files in a temporary folder, never the user's data directory.

Each scenario of a check (a full read, a resume from one checkpoint, an interruption) gets
a :class:`Workspace` of its own, so no run sees another's documents or checkpoints. Runs
go through the real :class:`~syncdeck.core.engine.SyncEngine`: batches, durable commits,
cursors, ``since``, the mirror markers and the deletion guard are the ones a sync has.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syncdeck.core.connector import BaseConnector
from syncdeck.core.counters import RunCounts
from syncdeck.core.describe import describe_error
from syncdeck.core.engine import SyncEngine
from syncdeck.core.events import RunFinished, RunStarted, RunStatus, SyncEvent
from syncdeck.core.pipeline import IngestionPipeline
from syncdeck.core.store import KnowledgeStore
from syncdeck.devkit.leaks import SecretScanner
from syncdeck.devkit.probe import CheckAborted, Probe, Recording, Stop

if TYPE_CHECKING:
    from syncdeck.core.state import RejectedRecord

Digests = dict[tuple[str, str], str]


@dataclass
class RunOutcome:
    """How one run through the engine ended, and what its probe recorded."""

    label: str
    recording: Recording
    status: RunStatus
    totals: RunCounts = field(default_factory=RunCounts)
    cursor: str | None = None  # the committed cursor at the end
    since: datetime | None = None  # what the run was given
    items_synced: int = 0
    elapsed: float = 0.0
    error: BaseException | None = None  # what engine.sync raised
    message: str | None = None  # the engine's recorded error (redacted)
    traceback: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    def describe_error(self) -> str:
        if self.message:
            return self.message
        if self.error is not None:
            return describe_error(self.error)
        return f"the run ended {self.status.value}"


class Workspace:
    """One scratch store + state database, and the engine over them."""

    def __init__(self, folder: Path, *, batch_size: int, delete_limit: float) -> None:
        folder.mkdir(parents=True, exist_ok=False, mode=0o700)
        self.folder = folder
        self.batch_size = batch_size
        self.store = KnowledgeStore(folder / "knowledge.db")
        try:
            self.engine = SyncEngine(
                IngestionPipeline(self.store),
                state_db=folder / "sync_state.db",
                batch_size=batch_size,
                delete_limit=delete_limit,
            )
        except BaseException:
            self.store.close()
            raise

    def run(
        self,
        connector: BaseConnector,
        label: str,
        *,
        stop: Stop | None = None,
        abort: threading.Event | None = None,
        scanner: SecretScanner | None = None,
        clock: Callable[[], float] = time.monotonic,
        keep_items: bool = False,
        watched: frozenset[str] = frozenset(),
    ) -> RunOutcome:
        """Run ``connector`` once, from this workspace's checkpoint. ``keep_items`` keeps a
        record of every item (else counts); ``watched`` ids are counted when delivered."""
        recording = Recording(label, keep_items=keep_items, watched=watched)
        cancel = threading.Event()
        probe = Probe(connector, recording, cancel=cancel, stop=stop, abort=abort, scanner=scanner)
        events: list[SyncEvent] = []
        started = clock()
        error: BaseException | None = None
        try:
            self.engine.sync(probe, cancel=cancel, on_event=events.append)
        except CheckAborted:
            raise
        except (Exception, SystemExit) as exc:  # the connector's failure is what we judge
            error = exc
        elapsed = clock() - started
        finished = next((e for e in events if isinstance(e, RunFinished)), None)
        begun = next((e for e in events if isinstance(e, RunStarted)), None)
        connector_id = connector.connector_id
        if finished is None:  # refused before it began, or died outside the engine's care
            return RunOutcome(
                label,
                recording,
                RunStatus.FAILED,
                since=recording.since,
                elapsed=elapsed,
                error=error,
                items_synced=self.store.documents_of(connector_id),
            )
        return RunOutcome(
            label,
            recording,
            finished.status,
            totals=finished.totals,
            cursor=finished.cursor,
            since=begun.since if begun is not None else recording.since,
            items_synced=finished.items_synced,
            elapsed=elapsed,
            error=error,
            message=finished.error,
            traceback=finished.traceback,
        )

    def digests(self, connector_id: str) -> Digests:
        return self.store.digests(connector_id)

    def items_synced(self, connector_id: str) -> int:
        checkpoint = self.engine.get_checkpoint(connector_id)
        return int(checkpoint["items_synced"]) if checkpoint else 0

    def stored(self, connector_id: str) -> int:
        return self.store.documents_of(connector_id)

    def rejected(self, connector_id: str) -> list[RejectedRecord]:
        return self.engine.rejected(connector_id)

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            self.store.close()


class Scratch:
    """The temporary folder that holds every workspace of one check; removed at the end
    unless it is to be kept for a look at the databases."""

    def __init__(self, parent: Path | None = None, *, keep: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="syncdeck-check-", dir=parent))
        self.keep = keep
        self._open: list[Workspace] = []
        self._names: set[str] = set()

    def workspace(self, name: str, *, batch_size: int, delete_limit: float) -> Workspace:
        slug = "".join(c if c.isalnum() else "-" for c in name).strip("-") or "run"
        unique, n = slug, 1
        while unique in self._names:
            n += 1
            unique = f"{slug}-{n}"
        self._names.add(unique)
        workspace = Workspace(self.root / unique, batch_size=batch_size, delete_limit=delete_limit)
        self._open.append(workspace)
        return workspace

    def close(self) -> None:
        for workspace in self._open:
            with contextlib.suppress(Exception):  # a scratch database: nothing to lose
                workspace.close()
        self._open.clear()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
