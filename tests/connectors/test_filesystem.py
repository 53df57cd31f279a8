"""The filesystem connector on a real folder: listing, versions, and what a mirror must see."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.filesystem import (
    FilesystemConnector,
    glob_pattern,
    note_title,
    path_id,
)
from syncdeck.core.errors import ConfigError

from .conftest import MemoryStore, assert_aware_utc, run

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


ORDER = ["alpha.md", "delta.html", "epsilon.txt", "gamma.org", "sub/beta.rst"]


def test_full_sync_lists_notes_in_path_order_with_titles_text_and_versions(notes: Path) -> None:
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
    delta = result.docs[1]
    assert delta.content == "Delta bold body"
    assert {doc.source for doc in result.docs} == {"my-notes"}
    assert result.docs[0].timestamp == datetime.fromtimestamp(T0 + 60, UTC)
    beta = result.docs[-1]
    assert beta.metadata == {"path": "sub/beta.rst", "size": 29, "format": "rst"}
    stat = (notes / "sub/beta.rst").stat()
    assert beta.version is not None
    assert beta.version.startswith(f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:")
    assert_aware_utc(result.docs)
    assert result.complete
    assert json.loads(result.cursor) == {"path": "sub/beta.rst"}


def test_source_defaults_to_the_type_name(notes: Path) -> None:
    assert {doc.source for doc in run(FilesystemConnector(notes)).docs} == {"filesystem"}


def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the files the connector reads from now on."""
    reads: list[str] = []
    original = FilesystemConnector._read

    def counting(self: FilesystemConnector, file: Any, source: str) -> Any:
        reads.append(file.doc_id)
        return original(self, file, source)

    monkeypatch.setattr(FilesystemConnector, "_read", counting)
    return reads


def test_an_unchanged_tree_costs_a_stat_per_file_and_no_read(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    before = store.content()
    reads = spy_reads(monkeypatch)
    again = store.sync(FilesystemConnector(notes))
    assert reads == []
    assert again.unchanged == ORDER
    assert again.complete
    assert store.content() == before


def test_resumed_run_reannounces_what_it_had_done_without_reading_it(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    # An interrupted first run: the engine stored the first three documents.
    store.hold(*run(FilesystemConnector(notes)).docs[:3])
    reads = spy_reads(monkeypatch)
    resumed = store.sync(FilesystemConnector(notes), cursor='{"path": "epsilon.txt"}')
    assert resumed.unchanged == ORDER[:3]
    assert reads == ORDER[3:]
    assert resumed.complete and sorted(store.docs) == sorted(ORDER)


def test_an_edited_file_is_read_again_and_nothing_else(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    write(notes, "sub/beta.rst", "Beta v2\n=======\n\nRewritten.\n", 30)
    reads = spy_reads(monkeypatch)
    again = store.sync(FilesystemConnector(notes))
    assert reads == again.ids == ["sub/beta.rst"]
    assert store.docs["sub/beta.rst"].title == "Beta v2"
    assert "Rewritten." in store.docs["sub/beta.rst"].content


def test_a_deleted_file_leaves_the_store(notes: Path) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    (notes / "gamma.org").unlink()
    again = store.sync(FilesystemConnector(notes))
    assert again.complete and "gamma.org" not in again.listed
    assert sorted(store.docs) == sorted(set(ORDER) - {"gamma.org"})


def test_a_renamed_or_moved_file_is_stored_once_under_its_new_path(notes: Path) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    text = store.docs["alpha.md"].content
    (notes / "archive").mkdir()
    (notes / "alpha.md").rename(notes / "archive" / "alpha-2023.md")  # keeps its mtime
    (notes / "sub").rename(notes / "moved")
    again = store.sync(FilesystemConnector(notes))
    assert sorted(again.ids) == ["archive/alpha-2023.md", "moved/beta.rst"]
    assert sorted(store.docs) == [
        "archive/alpha-2023.md",
        "delta.html",
        "epsilon.txt",
        "gamma.org",
        "moved/beta.rst",
    ]
    assert store.docs["archive/alpha-2023.md"].content == text


def test_files_arriving_with_an_old_modification_time_are_read(notes: Path) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    # What mv, cp -p, rsync -a, tar x and unzip do: a new file dated long before the
    # last sync.
    write(notes, "imported/old-notes.md", "# Old notes\n\nfrom 2019\n", -3_000_000)
    again = store.sync(FilesystemConnector(notes))
    assert again.ids == ["imported/old-notes.md"]
    assert store.docs["imported/old-notes.md"].title == "Old notes"


def test_an_edit_with_its_modification_time_put_back_is_read(notes: Path) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    path = notes / "epsilon.txt"
    stat = path.stat()
    path.write_text("NO heading here\njust TEXT\n")  # same size, same inode
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    again = store.sync(FilesystemConnector(notes))
    assert again.ids == ["epsilon.txt"]
    assert store.docs["epsilon.txt"].content == "NO heading here\njust TEXT\n"


def test_a_file_replaced_by_a_copy_with_the_same_size_and_mtime_is_read(notes: Path) -> None:
    store = MemoryStore()
    store.sync(FilesystemConnector(notes))
    path = notes / "epsilon.txt"
    stat = path.stat()
    replacement = notes / "incoming.tmp"
    replacement.write_text("no HEADING here\njust text\n")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(path)  # rsync's way: a new inode renamed over the old one
    again = store.sync(FilesystemConnector(notes))
    assert again.ids == ["epsilon.txt"]
    assert store.docs["epsilon.txt"].content.startswith("no HEADING")


def test_a_vanished_folder_fails_the_run_and_the_store_keeps_everything(
    notes: Path, tmp_path: Path
) -> None:
    store = MemoryStore()
    connector = FilesystemConnector(notes)
    store.sync(connector)
    notes.rename(tmp_path / "unmounted")
    with pytest.raises(SourceError, match=r"notes is missing \(unmounted"):
        store.sync(connector)
    assert sorted(store.docs) == sorted(ORDER)


def test_an_emptied_folder_lists_nothing(notes: Path) -> None:
    connector = FilesystemConnector(notes)
    for child in notes.rglob("*"):
        if child.is_file():
            child.unlink()
    result = run(connector)
    assert result.listed == []
    assert result.complete  # the engine's deletion guard is what keeps the store


def test_a_folder_that_cannot_be_listed_fails_the_run(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def refusing(path: Any) -> Any:
        if str(path).endswith("/sub"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(SourceError, match=r"cannot list .*sub: Permission denied"):
        run(FilesystemConnector(notes))


def test_non_utf8_file_names_get_distinct_stable_ids_and_valid_cursors(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    names = [b"caf\xe9.md", b"caf\xe8.md", b"caf\\xe9.md", "café.md".encode()]
    for n, name in enumerate(names):
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(f"# note {n}\n".encode())
    store = MemoryStore()
    first = store.sync(FilesystemConnector(tmp_path))
    assert sorted(first.ids) == sorted(["caf\\xe9.md", "caf\\xe8.md", "caf\\\\xe9.md", "café.md"])
    for item in first.items:  # everything yielded can be stored as UTF-8 JSON
        json.dumps(getattr(item, "cursor", None) or getattr(item, "doc_id", "")).encode()
    for doc in first.docs:
        doc.doc_id.encode("utf-8")
        doc.title.encode("utf-8")
        assert doc.metadata["path"] == doc.doc_id
    assert {doc.doc_id: doc.content for doc in first.docs}["caf\\xe8.md"] == "# note 1\n"
    again = store.sync(FilesystemConnector(tmp_path))
    assert sorted(again.unchanged) == sorted(first.ids)
    assert [c.encode("utf-8") for c in again.cursors if c]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain/note.md", "plain/note.md"),
        ("caf\udce9.md", "caf\\xe9.md"),
        ("back\\slash.md", "back\\\\slash.md"),
        ("a\\\udcff", "a\\\\\\xff"),
    ],
)
def test_path_id_escapes_reversibly(name: str, expected: str) -> None:
    assert path_id(name) == expected


def test_the_store_is_asked_in_chunks(tmp_path: Path) -> None:
    for n in range(1_200):
        (tmp_path / f"n{n:04d}.txt").write_text(f"note {n}")
    store = MemoryStore()
    store.sync(FilesystemConnector(tmp_path))
    assert store.lookups == 3  # 500 ids a lookup
    assert len(store) == 1_200


def test_hidden_folders_are_not_entered(notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[str] = []
    real_scandir = os.scandir

    def recording(path: Any) -> Any:
        listed.append(os.path.basename(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", recording)
    run(FilesystemConnector(notes))
    assert ".git" not in listed and "sub" in listed


def test_include_and_exclude_globs(notes: Path) -> None:
    connector = FilesystemConnector(
        notes, include=["**/*.md", "**/*.rst"], exclude=["sub/**", "**/.*"]
    )
    assert run(connector).ids == [".git/config.md", "alpha.md"]
    everything = FilesystemConnector(notes, include=["**/*.md"], exclude=[])
    assert run(everything).ids == [".git/config.md", ".hidden.md", "alpha.md"]


def test_undecodable_bytes_are_replaced_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "latin.txt", "café\n".encode("latin-1"), 1)
    (doc,) = run(FilesystemConnector(tmp_path)).docs
    assert doc.content == "caf\ufffd\n"
    (doc,) = run(FilesystemConnector(tmp_path, encoding="latin-1")).docs
    assert doc.content == "café\n"


def test_bad_parameters_are_config_errors_naming_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope is missing"):
        run(FilesystemConnector(tmp_path / "nope"))  # fails each run, until it is back
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(ConfigError, match=r"'path'.*not a folder"):
        FilesystemConnector(tmp_path / "file.md")
    with pytest.raises(ConfigError, match="'encoding'"):
        FilesystemConnector(tmp_path, encoding="no-such-codec")
    with pytest.raises(ConfigError, match="'include'"):
        FilesystemConnector(tmp_path, include="*.md")  # type: ignore[arg-type]


def test_a_cursor_of_another_shape_is_reported(notes: Path) -> None:
    with pytest.raises(CursorError, match='"path"'):
        run(FilesystemConnector(notes), cursor="42")
    # A cursor written by the version that synced by modification time still resumes.
    old = '{"mtime_ns": 1700000000000000000, "path": "alpha.md"}'
    assert run(FilesystemConnector(notes), cursor=old).ids == ORDER


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
