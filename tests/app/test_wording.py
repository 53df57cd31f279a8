"""How both front ends word a run's counters and errors."""

from __future__ import annotations

from syncdeck.app.wording import error_text, outcomes
from syncdeck.core.counters import RunCounts
from syncdeck.core.errors import ConfigError


def test_the_usual_counters_always_and_others_when_they_counted() -> None:
    assert outcomes(RunCounts(documents=12, inserted=12, batches=3)) == [
        ("new", 12), ("updated", 0), ("unchanged", 0), ("rejected", 0),
    ]  # fmt: skip
    assert outcomes(RunCounts(documents=8, unchanged=8, deleted=2)) == [
        ("new", 0), ("updated", 0), ("unchanged", 8), ("deleted", 2), ("rejected", 0),
    ]  # fmt: skip


def test_errors_read_as_sentences_or_by_type() -> None:
    assert error_text(ConfigError("syncdeck.toml: [connectors.a] path: missing")) == (
        "syncdeck.toml: [connectors.a] path: missing"
    )
    assert error_text(ConnectionError("server hung up")) == "ConnectionError: server hung up"
    assert error_text(TimeoutError()) == "TimeoutError"
