"""The filesystem connector on a real folder with controlled modification times."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncdeck.connectors.errors import CursorError
from syncdeck.connectors.filesystem import FilesystemConnector, glob_pattern, note_title
from syncdeck.core.errors import ConfigError

from .conftest import assert_aware_utc, run

T0 = 1_700_000_000  # epoch seconds of the oldest note


def write(root: Path, relpath: str, text: str | bytes, minute: int) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    stamp = T0 + 60 * minute
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    write(root, "alpha.md", "intro line\n\n# Alpha plan\n\nBody of alpha.\n", 1)
    write(root, "sub/beta.rst", "=====\nBeta\n=====\n\nBeta body.\n", 2)
    write(root, "gamma.org", "#+title: Gamma agenda\n* first heading\ntext\n", 3)
    write(
        root,
        "delta.html",
        "<html><head><title>Delta page</title><script>x()</script></head>"
        "<body><p>Delta <b>bold</b> body</p></body></html>",
        4,
    )
    write(root, "epsilon.txt", "no heading here\njust text\n", 5)
    write(root, ".hidden.md", "# hidden\n", 6)
    write(root, ".git/config.md", "# not a note\n", 7)
    write(root, "image.png", b"\x89PNG\r\n", 8)
    return root


ORDER = ["alpha.md", "sub/beta.rst", "gamma.org", "delta.html", "epsilon.txt"]


def test_full_sync_reads_notes_in_mtime_order_with_titles_and_text(notes: Path) -> None:
    connector = FilesystemConnector(notes)
    connector.connector_id = "my-notes"
    result = run(connector)
    assert result.ids == ORDER
    titles = {doc.doc_id: doc.title for doc in result.docs}
    assert titles == {
        "alpha.md": "Alpha plan",
        "sub/beta.rst": "Beta",
        "gamma.org": "Gamma agenda",
        "delta.html": "Delta page",
        "epsilon.txt": "epsilon",
    }
    delta = result.docs[3]
    assert delta.content == "Delta bold body"
    assert {doc.source for doc in result.docs} == {"my-notes"}
    assert result.docs[0].timestamp == datetime.fromtimestamp(T0 + 60, UTC)
    assert result.docs[1].metadata == {"path": "sub/beta.rst", "size": 29, "format": "rst"}
    assert_aware_utc(result.docs)
    assert len(result.cursors) == len(ORDER)  # a checkpoint after each file
    assert json.loads(result.cursor) == {"mtime_ns": (T0 + 300) * 10**9, "path": "epsilon.txt"}


def test_source_defaults_to_the_type_name(notes: Path) -> None:
    assert {doc.source for doc in run(FilesystemConnector(notes)).docs} == {"filesystem"}


def test_resume_from_a_midway_cursor_skips_covered_files(notes: Path) -> None:
    connector = FilesystemConnector(notes)
    midway = run(connector).cursor_after("gamma.org")
    assert run(connector, cursor=midway).ids == ["delta.html", "epsilon.txt"]


def test_an_edited_file_comes_again_and_nothing_else(notes: Path) -> None:
    connector = FilesystemConnector(notes)
    done = run(connector).cursor
    assert run(connector, cursor=done).ids == []
    write(notes, "sub/beta.rst", "Beta v2\n=======\n\nRewritten.\n", 30)
    again = run(connector, cursor=done)
    assert again.ids == ["sub/beta.rst"]
    assert again.docs[0].title == "Beta v2"
    assert "Rewritten." in again.docs[0].content


def test_since_filters_only_a_run_without_cursor(notes: Path) -> None:
    connector = FilesystemConnector(notes)
    since = datetime.fromtimestamp(T0 + 60 * 3, UTC)
    assert run(connector, since=since).ids == ["gamma.org", "delta.html", "epsilon.txt"]
    cursor = run(connector).cursor_after("alpha.md")
    # The cursor is exact: files after it are new to the store whatever their age.
    assert run(connector, since=since, cursor=cursor).ids == ORDER[1:]


def test_include_and_exclude_globs(notes: Path) -> None:
    connector = FilesystemConnector(
        notes, include=["**/*.md", "**/*.rst"], exclude=["sub/**", "**/.*"]
    )
    assert run(connector).ids == ["alpha.md", ".git/config.md"]
    everything = FilesystemConnector(notes, include=["**/*.md"], exclude=[])
    assert run(everything).ids == ["alpha.md", ".hidden.md", ".git/config.md"]


def test_undecodable_bytes_are_replaced_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "latin.txt", "café\n".encode("latin-1"), 1)
    (doc,) = run(FilesystemConnector(tmp_path)).docs
    assert doc.content == "caf\ufffd\n"
    (doc,) = run(FilesystemConnector(tmp_path, encoding="latin-1")).docs
    assert doc.content == "café\n"


def test_missing_folder_is_a_config_error_naming_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'path'.*does not exist"):
        FilesystemConnector(tmp_path / "nope")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(ConfigError, match=r"'path'.*not a folder"):
        FilesystemConnector(tmp_path / "file.md")
    with pytest.raises(ConfigError, match="'encoding'"):
        FilesystemConnector(tmp_path, encoding="no-such-codec")
    with pytest.raises(ConfigError, match="'include'"):
        FilesystemConnector(tmp_path, include="*.md")  # type: ignore[arg-type]


def test_a_cursor_of_another_shape_is_reported(notes: Path) -> None:
    with pytest.raises(CursorError, match="mtime_ns"):
        run(FilesystemConnector(notes), cursor="42")


def test_describe_names_the_folder(notes: Path) -> None:
    assert str(notes) in FilesystemConnector(notes).describe()


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("**/*.md", "a.md", True),
        ("**/*.md", "x/y/a.md", True),
        ("*.md", "x/a.md", False),
        ("sub/**", "sub/a/b.txt", True),
        ("**/.*", "x/.hidden", True),
        ("**/.*/**", ".git/config", True),
        ("note?.[ot]xt", "note1.txt", True),
        ("[!a]*.md", "a.md", False),
    ],
)
def test_glob_pattern(glob: str, path: str, matches: bool) -> None:
    assert bool(glob_pattern(glob).match(path)) is matches


@pytest.mark.parametrize(
    ("text", "suffix", "title"),
    [
        ("Setext title\n============\n", ".md", "Setext title"),
        ("## Closed ATX ##\n", ".md", "Closed ATX"),
        ("    # code, not a heading\nplain\n", ".md", ""),
        ("Plain Title\n-----------\n", ".txt", "Plain Title"),
        ("Short\n==\n", ".rst", ""),  # underline shorter than the title
        ("* TODO Org heading\n", ".org", "TODO Org heading"),
        ("<h1>Only <i>h1</i></h1>", ".html", "Only h1"),
    ],
)
def test_note_title(text: str, suffix: str, title: str) -> None:
    assert note_title(text, suffix) == title
