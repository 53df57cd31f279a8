"""A connector under development (``syncdeck dev``): load it from its file, run inspect and
check on it, and say what changed since the last save.

Each cycle loads the class afresh (a new registry, so the edited file is executed again).
A file that does not load - a syntax error, an import that fails, a constructor that
rejects its parameters - is a result like any other: its message and traceback are kept,
and the next save is tried again.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncdeck.core.describe import describe_error
from syncdeck.core.errors import ConfigError, SyncdeckError
from syncdeck.core.inspection import InspectReport, inspect_connector
from syncdeck.core.redaction import secret_values
from syncdeck.devkit.changes import Changes, compare
from syncdeck.devkit.report import CheckReport, masked
from syncdeck.devkit.runner import CheckCancelled, CheckOptions, Progress, run_checks
from syncdeck.devkit.target import type_target

INSPECT_LIMIT = 20
INSPECT_TIMEOUT = 15.0
_SYNCDECK = str(Path(__file__).parents[1])


@dataclass(frozen=True)
class LoadFailure:
    """Why the connector could not be loaded or built."""

    message: str
    traceback: str


@dataclass(frozen=True)
class DevResult:
    number: int  # 1 for the first load, then one more per save
    finished_at: datetime
    failure: LoadFailure | None = None
    inspect: InspectReport | None = None
    report: CheckReport | None = None
    changes: Changes | None = None  # against the last result that had a report
    compared_with: int | None = None  # the number of that result


def connector_file(type_name: str, base_dir: Path | None = None) -> Path:
    """The file of a ``path/to/file.py:Class`` type (what ``dev`` watches)."""
    location, sep, attr = type_name.strip().rpartition(":")
    is_file = location.endswith(".py") or "/" in location or location.startswith((".", "~"))
    if not sep or not attr or not is_file:
        raise ConfigError(
            f"{type_name!r}: dev reloads a connector file on each save; give its type as "
            "path/to/file.py:Class"
        )
    path = Path(location).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if not path.is_file():
        raise ConfigError(f"connector file {path} does not exist")
    return path.resolve()


def failure_of(error: BaseException) -> LoadFailure:
    """The message, and the traceback of what really failed: the registry re-raises its
    own error with a message, the original (a SyntaxError, an ImportError, the
    constructor's exception) is its context."""
    original = error.__context__ if error.__suppress_context__ and error.__context__ else error
    shown = traceback.TracebackException.from_exception(original)
    shown.stack = traceback.StackSummary.from_list(
        [
            frame
            for frame in shown.stack
            if not frame.filename.startswith(_SYNCDECK) and not frame.filename.startswith("<frozen")
        ]
    )
    # a syncdeck error is written for the reader already
    message = str(error) if isinstance(error, SyncdeckError) else describe_error(error)
    return LoadFailure(message, "".join(shown.format()).rstrip())


class DevSession:
    """One connector type with its parameters, checked again on every save."""

    def __init__(
        self,
        type_name: str,
        params: Mapping[str, Any] | None = None,
        *,
        connector_id: str | None = None,
        base_dir: Path | None = None,
        options: CheckOptions | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.type_name = type_name
        self.params = dict(params or {})
        self.connector_id = connector_id
        self.base_dir = base_dir
        self.path = connector_file(type_name, base_dir)
        self.options = options or CheckOptions()
        self.now = now
        self.monotonic = monotonic
        self.loads = 0
        self.last: DevResult | None = None  # the last result that had a report

    def cycle(
        self, cancel: threading.Event | None = None, progress: Progress | None = None
    ) -> DevResult:
        """Load, inspect and check once. Raises ``CheckCancelled`` if ``cancel`` is set
        meanwhile; any failure of the connector is in the result instead."""
        self.loads += 1
        number = self.loads
        try:
            target = type_target(
                self.type_name,
                self.params,
                connector_id=self.connector_id,
                base_dir=self.base_dir,
            )
            connector = target.factory()
        except Exception as exc:
            failure = masked(failure_of(exc), secret_values(self.params))
            return DevResult(number, self.now(), failure=failure)
        secrets = tuple(getattr(connector, "secret_values", ()) or ())
        inspected = inspect_connector(connector, limit=INSPECT_LIMIT, timeout=INSPECT_TIMEOUT)
        if not inspected.timed_out:  # a timed-out connector may still run in its thread
            with contextlib.suppress(Exception):  # the check reports a failing close()
                connector.close()
        report = run_checks(
            target.factory,
            type_name=self.type_name,
            options=self.options,
            cancel=cancel,
            progress=progress,
            clock=self.monotonic,
        )
        if cancel is not None and cancel.is_set():
            raise CheckCancelled("the check was cancelled")
        previous = self.last
        result = DevResult(
            number,
            self.now(),
            inspect=masked(inspected, secrets),
            report=report,
            changes=compare(previous.report, report) if previous and previous.report else None,
            compared_with=previous.number if previous else None,
        )
        self.last = result
        return result
