"""Blocking work off the event loop, in daemon threads.

Textual's thread workers run in asyncio's default executor, whose threads the interpreter
joins at exit: a connector blocked forever would then hang quitting. A daemon thread whose
result is handed back through a future lets the app await the work like any coroutine and
still leave at once when it must.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_daemon_thread(work: Callable[[], T], *, name: str) -> T:
    """Run ``work()`` in a new daemon thread and await its result (or exception).

    Cancelling the awaiting task does not stop the thread: the caller owns a way to make
    the work stop (a cancel event) and decides how long to wait for it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(setter: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            setter(value)

    def target() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting task, which decides
            outcome: tuple[Callable[[Any], None], Any] = (future.set_exception, exc)
        else:
            outcome = (future.set_result, result)
        # a closed loop means the app has exited and nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future
