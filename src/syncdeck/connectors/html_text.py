"""Reducing HTML (notes, mail bodies) to readable text with the standard library parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Tags that start a new line; the paragraph-like ones leave a blank line around them.
_LINE_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "div", "dl", "dt", "dd", "fieldset", "figcaption"),
        *("figure", "footer", "form", "header", "li", "main", "nav", "ol", "section", "tr", "ul"),
    }
)
_PARAGRAPHS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "p", "pre", "table"}
)
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class HtmlText:
    title: str  # the <title>, else the first <h1>, else ""
    text: str


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.title = ""
        self.h1 = ""
        self._pending_breaks = 0  # newlines owed before the next text
        self._skip_depth = 0
        self._pre_depth = 0
        self._capture: str | None = None  # "title" or "h1" while inside one
        self._captured: list[str] = []

    def _block(self, tag: str) -> None:
        breaks = 2 if tag in _PARAGRAPHS else 1 if tag in _LINE_BLOCKS else 0
        self._pending_breaks = max(self._pending_breaks, breaks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" or (tag == "h1" and not self.h1):
            self._capture, self._captured = tag, []
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag == "br":
            self._pending_breaks = min(self._pending_breaks + 1, 2)  # <br><br>: blank line
        self._block(tag)
        if tag == "li":
            self._emit("- ")
        elif tag == "pre":
            self._pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._capture:
            captured = " ".join("".join(self._captured).split())
            if tag == "title":
                self.title = captured
            else:
                self.h1 = captured
            self._capture = None
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in {"td", "th"}:
            self._emit(" ")
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        self._block(tag)

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._captured.append(data)
        if self._skip_depth:
            return
        if not self._pre_depth:
            data = _SPACES.sub(" ", data)
            if not data.strip() and (not self.out or self._pending_breaks):
                return
        self._emit(data)

    def _emit(self, data: str) -> None:
        if self._pending_breaks and self.out:
            self.out.append("\n" * self._pending_breaks)
        self._pending_breaks = 0
        if not self._pre_depth and (not self.out or self.out[-1].endswith("\n")):
            data = data.lstrip(" ")
        if data:
            self.out.append(data)


def html_to_text(html: str) -> HtmlText:
    """Visible text of ``html``, one block per line; scripts, styles and <head> dropped."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.rstrip() for line in "".join(parser.out).split("\n")).strip()
    return HtmlText(title=parser.title or parser.h1, text=text)
