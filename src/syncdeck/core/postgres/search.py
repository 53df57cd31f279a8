"""The store's query language (FTS5's: words, ``"phrases"``, ``prefix*``, ``AND``, ``OR``,
``NOT``, parentheses) as a PostgreSQL ``tsquery`` expression, so a search means the same on
both backends. Input that is not valid syntax is searched as plain words, as SQLite does."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'\s*(?:(?P<phrase>"(?:[^"]|"")*")|(?P<paren>[()])|(?P<word>[^\s()"]+))')
_WORD = "phraseto_tsquery('simple', %s)"
_PREFIX = "to_tsquery('simple', %s)"


class QuerySyntaxError(ValueError):
    """Not the query language: the caller searches the words instead."""


def _tokens(query: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = query.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QuerySyntaxError(f"unexpected input at {position}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.params: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> str:
        expr = self.either()
        if self.peek() is not None:
            raise QuerySyntaxError("unbalanced parenthesis")
        return expr

    def either(self) -> str:
        expr = self.both()
        while self.peek() == ("word", "OR"):
            self.at += 1
            expr = f"({expr} || {self.both()})"
        return expr

    def both(self) -> str:
        expr = self.term()
        while (token := self.peek()) is not None and token not in (("word", "OR"), ("paren", ")")):
            if token == ("word", "AND"):
                self.at += 1
                expr = f"({expr} && {self.term()})"
            elif token == ("word", "NOT"):
                self.at += 1
                expr = f"({expr} && !!{self.term()})"
            else:
                # FTS5 joins phrases by juxtaposition, never a parenthesised group
                if self.tokens[self.at - 1][0] == "paren" or token[0] == "paren":
                    raise QuerySyntaxError("a group needs AND, OR or NOT beside it")
                expr = f"({expr} && {self.term()})"
        return expr

    def term(self) -> str:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends with an operator")
        kind, text = token
        self.at += 1
        if kind == "paren":
            if text != "(":
                raise QuerySyntaxError("unbalanced parenthesis")
            expr = self.either()
            if self.peek() != ("paren", ")"):
                raise QuerySyntaxError("unbalanced parenthesis")
            self.at += 1
            return expr
        if kind == "phrase":
            self.params.append(text[1:-1].replace('""', '"'))
            return _WORD
        if text in ("AND", "OR", "NOT"):
            raise QuerySyntaxError(f"{text} without a term")
        if text.endswith("*") and text[:-1].isalnum():
            self.params.append(f"{text[:-1].lower()}:*")
            return _PREFIX
        self.params.append(text)
        return _WORD


def tsquery(query: str) -> tuple[str, list[str]]:
    """A SQL ``tsquery`` expression for ``query`` and its parameters."""
    try:
        parser = _Parser(_tokens(query))
        return parser.parse(), parser.params
    except QuerySyntaxError:
        return plain_words(query)


def plain_words(query: str) -> tuple[str, list[str]]:
    """Every whitespace-separated word as a phrase of its own, all required."""
    words = query.split()
    return " && ".join([_WORD] * len(words)), words
