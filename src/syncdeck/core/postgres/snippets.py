"""A ``ts_headline`` fragment framed as SQLite's FTS5 ``snippet()`` frames its own, so a
hit reads the same on both backends: ``…`` where words of the content are left out before
or after the fragment, the content's own leading or trailing punctuation kept where
nothing is, and the opening words of the content when only the title or author matched
(``ts_headline`` would show just ``MinWords`` of them).

Where the match lies within the first words of a longer content, FTS5 may start its
window at the content's first word where ``ts_headline`` starts a few words later: the
marked words are the same, the words around them may differ by a few.

The query in core.postgres.store returns, beside the headline, where its text starts in the
content and a little of the content around it, so no whole document crosses the wire.
"""

from __future__ import annotations

import re

from syncdeck.core.store import _CLOSE, _OPEN, SNIPPET_WORDS

ELLIPSIS = "…"
# How much content either side of a fragment the query returns: text beyond it is taken
# to hold words (it is never only punctuation in a real document).
MARGIN = 200
OPENING = 1000  # characters of content read to show its opening words
_TOKEN = re.compile(r"[^\W_]+")  # unicode61's tokens: runs of letters and digits

HEADLINE_OPTIONS = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords={SNIPPET_WORDS}, MinWords=4, '
    "ShortWord=0, MaxFragments=1"
)


def _has_words(text: str) -> bool:
    return _TOKEN.search(text) is not None


def opening(text: str, *, complete: bool) -> str:
    """The first SNIPPET_WORDS words of ``text`` (``complete``: all of the content)."""
    for count, match in enumerate(_TOKEN.finditer(text), 1):
        if count == SNIPPET_WORDS:
            rest = text[match.end() :]
            return text[: match.end()] + (ELLIPSIS if _has_words(rest) or not complete else rest)
    return text if complete else text + ELLIPSIS


def framed(headline: str, at: int, before: str, after: str | None, start: str | None) -> str:
    """``headline`` with FTS5's framing. ``at`` is where its text starts in the content
    (1-based, 0 if not found), ``before`` up to MARGIN characters of content just before
    it, ``after`` up to MARGIN + 1 characters after it, ``start`` the first OPENING + 1
    characters of the content when the headline marks nothing.

    A fragment shorter than SNIPPET_WORDS words is widened as FTS5 places its window:
    forwards first (``ts_headline`` never ends a fragment on a number), then backwards
    when it reaches the end of the content (``ts_headline`` centres the match there)."""
    if _OPEN not in headline:
        text = start or ""
        return opening(text[:OPENING], complete=len(text) <= OPENING)
    if at == 0:
        return headline
    after = after or ""
    whole_after = len(after) <= MARGIN  # ``after`` is all of the content after it
    wanted = SNIPPET_WORDS - len(_TOKEN.findall(headline.replace(_OPEN, " ").replace(_CLOSE, " ")))
    if wanted > 0:
        ahead = [m.end() for m in _TOKEN.finditer(after)][:wanted]
        if ahead:
            headline, after = headline + after[: ahead[-1]], after[ahead[-1] :]
            wanted -= len(ahead)
    at_end = whole_after and not _has_words(after)
    tail = after if at_end else ELLIPSIS
    whole_before = at - 1 <= MARGIN  # ``before`` is all of the content before it
    words = [m.start() for m in _TOKEN.finditer(before)]
    if at_end and wanted > 0 and words:
        if whole_before and len(words) <= wanted:
            return before + headline + tail
        return ELLIPSIS + before[words[max(0, len(words) - wanted)] :] + headline + tail
    lead = ELLIPSIS if words or not whole_before else before
    return lead + headline + tail
