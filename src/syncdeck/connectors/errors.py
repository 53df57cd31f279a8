"""Errors a connector raises about its source, as opposed to its configuration.

``ConfigError`` (from core) means "fix the configuration"; these mean "the data, or a cursor
someone edited, cannot be read". Both are syncdeck errors, so the engine records them with
their message and front ends show that message instead of a traceback.
"""

from __future__ import annotations

from syncdeck.core.errors import SyncdeckError


class SourceError(SyncdeckError):
    """The source cannot be read further: the message says where and what to do."""


class CursorError(SourceError):
    """A stored cursor does not have the shape this connector writes (e.g. edited by hand)."""
