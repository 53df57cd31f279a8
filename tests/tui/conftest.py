"""Fixtures: real AppContexts on temporary folders, frozen clocks, held-connector events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from syncdeck.tui.clock import FrozenClock

from .support import Factory, UIContext


@pytest.fixture
def releases(make_context: Any) -> Iterator[list[threading.Event]]:
    """Events a test holds connectors with; all set at teardown so no thread lingers."""
    events: list[threading.Event] = []
    yield events
    for event in events:
        event.set()


@pytest.fixture
def lingering() -> set[str]:
    """Names of sync threads a test leaves blocked for good (an abandoned run's thread
    never resumes): teardown does not wait for them."""
    return set()


@pytest.fixture
def make_context(tmp_path: Path, lingering: set[str]) -> Iterator[Callable[..., UIContext]]:
    contexts: list[UIContext] = []
    earlier = set(threading.enumerate())  # left behind by other tests: not this one's

    def make(factories: dict[str, Factory], **kwargs: Any) -> UIContext:
        context = UIContext(tmp_path / f"data{len(contexts)}", factories, **kwargs)
        contexts.append(context)
        return context

    yield make
    # let released sync threads finish their bookkeeping before the databases close
    deadline = time.monotonic() + 5
    for thread in threading.enumerate():
        if (
            thread.name.startswith("syncdeck-sync-")
            and thread not in earlier
            and thread.name not in lingering
        ):
            thread.join(max(0.0, deadline - time.monotonic()))
    for context in contexts:
        context.close()


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock()
