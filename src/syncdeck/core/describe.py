"""How an exception reads in one line: in run records, events, reports and both front ends."""

from __future__ import annotations


def describe_error(error: BaseException) -> str:
    """``Type: message``, or ``Type`` alone when the message is empty."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
