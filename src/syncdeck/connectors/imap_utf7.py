"""IMAP's modified UTF-7 (RFC 3501, section 5.1.3): how folder names travel on the wire.

Printable ASCII stands for itself (``&`` is written ``&-``); any other run of characters
is UTF-16BE, base64-encoded with ``,`` instead of ``/``, between ``&`` and ``-``. A
German "Entwürfe" folder is ``Entw&APw-rfe`` to the server.
"""

from __future__ import annotations

import base64


def encode_folder(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ","))
            out.append("-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode_folder(wire: str) -> str:
    """The readable name of a wire folder name; text that is not valid stays as it is."""
    out: list[str] = []
    rest = wire
    while rest:
        start = rest.find("&")
        if start < 0:
            out.append(rest)
            break
        out.append(rest[:start])
        end = rest.find("-", start)
        if end < 0:
            out.append(rest[start:])
            break
        chunk = rest[start + 1 : end]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded).decode("utf-16-be"))
            except ValueError:
                out.append(rest[start : end + 1])
        rest = rest[end + 1 :]
    return "".join(out)
