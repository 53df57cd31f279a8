"""The built-in connector types.

``BUILTINS`` maps a type name to the ``module:Class`` that implements it. The modules are
imported only when a connector of that type is built, so listing the types (or importing
this package) costs nothing.
"""

from __future__ import annotations

BUILTINS: dict[str, str] = {
    "filesystem": "syncdeck.connectors.filesystem:FilesystemConnector",
    "mailbox": "syncdeck.connectors.mailbox:MailboxConnector",
    "jsonl": "syncdeck.connectors.jsonl:JsonlConnector",
    "sqlite": "syncdeck.connectors.sqlite:SqliteConnector",
    "http": "syncdeck.connectors.http:HttpConnector",
    "feed": "syncdeck.connectors.feed:FeedConnector",
    "calendar": "syncdeck.connectors.calendar:CalendarConnector",
    "imap": "syncdeck.connectors.imap:ImapConnector",
    "demo": "syncdeck.connectors.demo:DemoConnector",
    "obsidian": "syncdeck.connectors.obsidian:ObsidianConnector",
}

__all__ = ["BUILTINS"]
