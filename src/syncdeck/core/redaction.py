"""Keeping secrets out of output.

Connector parameters named like credentials (token, password, secret, key...) must never be
printed: not in a parameter listing, not in an error message, not in a traceback that a
failing connector happened to format with its own configuration. These helpers are used by
every front end before anything configuration-derived is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

# Substrings of a parameter (or environment variable) name that mark its value as secret.
SECRET_WORDS: tuple[str, ...] = (
    "token",
    "password",
    "passwd",
    "secret",
    "key",
    "credential",
    "cookie",
    "authorization",
)

# A name ending in one of these names *where* a secret is found (``token_field``,
# ``key_column``, ``password_file``), not the secret itself, so its value can be shown.
DESCRIPTOR_SUFFIXES: tuple[str, ...] = (
    "field",
    "column",
    "param",
    "name",
    "path",
    "file",
    "env",
    "format",
    "type",
)

# ``scheme://user:password@host`` - the password part of a URL's user info.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^/\s@]+)(?=@)")

# ``?token=...`` / ``&api_key=...`` in a URL quoted in free text (an error, a log line).
_QUERY_SECRET = re.compile(r"(?P<head>[?&;](?P<name>[A-Za-z0-9_.\-]+)=)(?P<value>[^&#\s'\"<>]+)")

# Values shorter than this are not searched for in free text: replacing every "1" or "id"
# in a message would make it unreadable while protecting nothing worth protecting.
MIN_SECRET_LENGTH = 4


def is_secret_name(name: str) -> bool:
    """True when a parameter or variable name looks like it holds a credential."""
    lowered = name.lower()
    if not any(word in lowered for word in SECRET_WORDS):
        return False
    words = re.split(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])", name)
    return not (len(words) > 1 and words[-1].lower() in DESCRIPTOR_SUFFIXES)


def _redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return redact_params(value, secrets)
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item, secrets) for item in value)
    return value


def redact_params(params: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of ``params`` with secret-named values replaced by ``***``.

    Nested tables are redacted by the same rule; passwords embedded in URLs
    (``https://user:pw@host``) and any of ``secrets`` are masked inside every string.
    """
    known = tuple(secrets)
    redacted: dict[str, Any] = {}
    for name, value in params.items():
        if is_secret_name(str(name)) and value not in (None, ""):
            redacted[name] = MASK
        else:
            redacted[name] = _redact_value(value, known)
    return redacted


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def secret_values(params: Mapping[str, Any]) -> list[str]:
    """Every string held under a secret-named key, at any depth (for :func:`redact_text`)."""
    found: list[str] = []
    for name, value in params.items():
        if is_secret_name(str(name)):
            found.extend(_strings(value))
        elif isinstance(value, Mapping):
            found.extend(secret_values(value))
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Mapping):
                    found.extend(secret_values(item))
    for text in _strings(dict(params)):
        found.extend(match.group("pw") for match in _URL_PASSWORD.finditer(text))
    return found


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret value replaced by ``***``.

    Longest secrets first, so a secret that contains another is masked whole. URL
    passwords are masked too, even when they are not in ``secrets``.
    """
    if not text:
        return text
    forms = {
        form
        for secret in secrets
        if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH
        for form in _written_forms(secret)
    }
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
    return _QUERY_SECRET.sub(_mask_query_value, text)


def _written_forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: as is, URL-quoted, and escaped as in a repr or
    JSON (a traceback quotes arguments with repr)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    forms.add(repr(secret)[1:-1])
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _mask_query_value(match: re.Match[str]) -> str:
    if is_secret_name(match.group("name")) and match.group("value") != MASK:
        return match.group("head") + MASK
    return match.group(0)
