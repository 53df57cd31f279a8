"""The counters of a run: one type for what a store batch did, what a run has done so far,
what the state database records and what events report (docs/architecture.md, "The run
model")."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class RunCounts:
    """How many documents a batch or a run handled, by outcome.

    ``documents`` counts what the connector yielded (valid or not); ``batches`` the store
    batches committed. The other counters say what became of the documents.
    """

    documents: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    batches: int = 0
    deleted: int = 0  # documents removed from the store (the source no longer has them)

    @property
    def written(self) -> int:
        """Documents that changed the store (inserted or updated)."""
        return self.inserted + self.updated

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(*(getattr(self, f) + getattr(other, f) for f in COUNTER_NAMES))


COUNTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(RunCounts))


class CountsView:
    """The counters of a record that holds a :class:`RunCounts` as ``counts``, read as its
    own attributes (``run.inserted``), as the original engine's records had them."""

    counts: RunCounts

    @property
    def documents(self) -> int:
        return self.counts.documents

    @property
    def inserted(self) -> int:
        return self.counts.inserted

    @property
    def updated(self) -> int:
        return self.counts.updated

    @property
    def unchanged(self) -> int:
        return self.counts.unchanged

    @property
    def rejected(self) -> int:
        return self.counts.rejected

    @property
    def batches(self) -> int:
        return self.counts.batches

    @property
    def deleted(self) -> int:
        return self.counts.deleted

    @property
    def written(self) -> int:
        return self.counts.written
