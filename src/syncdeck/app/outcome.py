"""How one attempt at a run ended, as the supervisor reports it and the live fold keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class EndKind(Enum):
    FINISHED = "finished"  # the engine returned: the run succeeded or was cancelled
    FAILED = "failed"  # the engine raised: the run failed, or could not be opened
    NOT_BUILT = "not built"  # the connector could not be built from its configuration
    REFUSED = "refused"  # another run (of this or another process) holds the connector
    ABANDONED = "abandoned"  # closed by hand while its connector was blocked


@dataclass(frozen=True)
class RunOutcome:
    """How one attempt ended: documents written, or the exception and its traceback."""

    connector_id: str
    kind: EndKind
    run_id: int | None = None  # the run the engine opened, if it opened one
    written: int | None = None
    error: BaseException | None = None
    traceback: str | None = None  # as raised (not masked): front ends mask what they show

    @property
    def refused(self) -> bool:
        return self.kind is EndKind.REFUSED
