""" "Did you mean ...?" for a mistyped name: a connector type, a configuration key, a
connector's name. Every error that names an unknown word offers the closest known one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name ``word`` was most likely meant to be, if one is close enough
    (case and separators aside: ``File-System`` finds ``filesystem``)."""
    options = [choice for choice in dict.fromkeys(choices) if choice != word]
    if not options or not word:
        return None

    def folded(text: str) -> str:
        return text.casefold().replace("-", "").replace("_", "").replace(" ", "")

    by_fold = {folded(option): option for option in options}
    if folded(word) in by_fold:
        return by_fold[folded(word)]
    found = difflib.get_close_matches(folded(word), list(by_fold), n=1, cutoff=0.7)
    return by_fold[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` to append to a message, or ``""``."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match is not None else ""
