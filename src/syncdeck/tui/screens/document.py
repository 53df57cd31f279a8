"""One stored document: every field, its metadata, and its full content, scrollable, with
the words searched for marked. Opened from the search screen."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from syncdeck.app.wording import plural
from syncdeck.tui.clock import Clock
from syncdeck.tui.widgets.palette import role_style

#: The fields shown above the content, in order, with how they are named.
FIELDS = (
    ("source", "source"),
    ("doc_id", "id"),
    ("doc_type", "type"),
    ("author", "author"),
    ("participants", "participants"),
    ("timestamp", "time"),
    ("thread_id", "thread"),
    ("url", "url"),
    ("version", "version"),
    ("connector", "stored by"),
    ("ingested_at", "stored at"),
)


def document_text(
    record: dict[str, Any],
    app: App[Any],
    clock: Clock,
    *,
    words: Sequence[str] = (),
    limit: int | None = None,
) -> Text:
    """The document as one scrollable text: title, fields, metadata, content (its first
    ``limit`` characters for a preview)."""
    muted = role_style(app, "foreground", dim=True)
    text = Text(no_wrap=False, overflow="fold")
    text.append((record.get("title") or "(untitled)") + "\n", Style(bold=True))
    width = max(len(label) for _, label in FIELDS)
    for key, label in FIELDS:
        value = record.get(key)
        if value in (None, "", []):
            continue
        text.append(f"{label:<{width}}  ", muted)
        text.append(_shown(key, value, clock) + "\n")
    metadata = record.get("metadata") or {}
    if metadata:
        text.append("metadata\n", muted)
        shown = json.dumps(metadata, indent=2, ensure_ascii=False, default=str)
        text.append(shown + "\n", role_style(app, "secondary"))
    content = str(record.get("content") or "")
    cut = limit is not None and len(content) > limit
    text.append("\n")
    body = Text(content[:limit] if cut else content)
    mark(body, words, role_style(app, "accent", bold=True) + Style(underline=True))
    text.append_text(body)
    if cut:
        more = len(content) - (limit or 0)
        text.append(f"\n… {plural(more, 'more character')}: Enter opens it all", muted)
    return text


def mark(text: Text, words: Sequence[str], style: Style) -> None:
    """Style every occurrence of the searched words (case-insensitive, prefixes too)."""
    terms = [w for w in words if w and w.upper() not in ("AND", "OR", "NOT")]
    if terms:
        pattern = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
        text.highlight_regex(re.compile(pattern, re.IGNORECASE), style)


def _shown(key: str, value: Any, clock: Clock) -> str:
    if key == "participants" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key in ("timestamp", "ingested_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return clock.local(moment).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return str(value)


class DocumentScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Any]] = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy", "Copy content"),
    ]

    def __init__(self, record: dict[str, Any], *, clock: Clock, words: Sequence[str] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self.record = record
        self.clock = clock
        self.words = list(words)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-large"):
            yield Label(
                f"Document · {self.record.get('source')} · {self.record.get('doc_id')}",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="document-body"):
                yield Static(id="document-text")
            yield Static(
                "↑↓ PgUp PgDn scroll · c copies the content · Escape closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        shown = document_text(self.record, self.app, self.clock, words=self.words)
        self.query_one("#document-text", Static).update(shown)
        self.query_one("#document-body", VerticalScroll).focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(str(self.record.get("content") or ""))
        self.notify("Content copied to the clipboard.")

    def action_close(self) -> None:
        self.dismiss(None)
