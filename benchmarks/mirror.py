"""Mirror sync as whole `syncdeck sync` processes: a few thousand real documentation files
(the machine's /usr/share/doc and the Python standard library, which nobody here wrote),
first sync vs an unchanged re-sync vs a one-file edit; and a 30,000-message mbox, first
sync vs a re-sync after one message was removed (the file rewritten)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from common import Row, median
from mail_corpus import write_mbox

DOC_ROOTS = (Path("/usr/share/doc"), Path(sysconfig.get_paths()["stdlib"]))
TEXT_SUFFIXES = {"", ".txt", ".md", ".rst", ".py", ".html", ".org"}
MAX_FILE = 256 * 1024


def real_documents(limit: int) -> Iterator[tuple[Path, Path]]:
    """(source file, path relative to the copy) of up to ``limit`` text files, in order."""
    found = 0
    for root in DOC_ROOTS:
        for folder, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
            for name in sorted(filenames):
                path = Path(folder) / name
                if path.suffix.lower() not in TEXT_SUFFIXES or path.is_symlink():
                    continue
                try:
                    if not 0 < path.stat().st_size <= MAX_FILE:
                        continue
                    with path.open("rb") as fh:
                        if b"\0" in fh.read(4096):
                            continue  # binary
                except OSError:
                    continue
                yield path, Path(root.name) / path.relative_to(root)
                found += 1
                if found >= limit:
                    return


def copy_tree(target: Path, limit: int) -> int:
    """Copy the files keeping their (old) modification times, as cp -p or rsync -a do."""
    count = 0
    for source, relative in real_documents(limit):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        count += 1
    return count


def syncdeck(folder: Path, name: str) -> float:
    exe = Path(sys.executable).parent / "syncdeck"
    command = [str(exe), "--config", str(folder / "syncdeck.toml"), "--data-dir"]
    command += [str(folder / "data"), "sync", name]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"syncdeck sync {name} failed: {done.stdout}{done.stderr}")
    return elapsed


def stored(folder: Path, connector: str) -> int:
    import sqlite3

    conn = sqlite3.connect(folder / "data" / "knowledge.db")
    try:
        return conn.execute(
            "SELECT count(*) FROM documents WHERE connector = ?", (connector,)
        ).fetchone()[0]
    finally:
        conn.close()


def docs_arms(tree: Path, files: int, reps: int) -> tuple[list[float], list[float], list[float]]:
    first: list[float] = []
    unchanged: list[float] = []
    edit: list[float] = []
    victims = sorted(p for p in tree.rglob("*") if p.is_file())
    for rep in range(reps):
        with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
            folder = Path(tmp)
            (folder / "syncdeck.toml").write_text(
                f'[connectors.docs]\ntype = "filesystem"\npath = "{tree}"\ninclude = ["**/*"]\n'
            )
            first.append(syncdeck(folder, "docs"))
            assert stored(folder, "docs") == files, "the first sync stored every file"
            unchanged.append(syncdeck(folder, "docs"))
            victim = victims[(rep * 7919) % len(victims)]
            with victim.open("a") as fh:
                fh.write(f"\nedited in repetition {rep}\n")
            edit.append(syncdeck(folder, "docs"))
            assert stored(folder, "docs") == files
    return first, unchanged, edit


def remove_message(path: Path, index: int) -> None:
    """Rewrite the mbox without its ``index``-th message, as a mail client's expunge does."""
    data = path.read_bytes()
    starts = [0]
    position = 0
    while (found := data.find(b"\nFrom ", position)) >= 0:
        starts.append(found + 1)
        position = found + 1
    end = starts[index + 1] if index + 1 < len(starts) else len(data)
    rewritten = path.with_suffix(".new")
    rewritten.write_bytes(data[: starts[index]] + data[end:])
    rewritten.replace(path)


def mail_arms(corpus: Path, messages: int, reps: int) -> tuple[list[float], list[float]]:
    first: list[float] = []
    removed: list[float] = []
    for rep in range(reps):
        with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
            folder = Path(tmp)
            mbox = folder / "archive.mbox"
            shutil.copyfile(corpus, mbox)
            (folder / "syncdeck.toml").write_text(
                f'[connectors.mail]\ntype = "mailbox"\npath = "{mbox}"\n'
            )
            first.append(syncdeck(folder, "mail"))
            assert stored(folder, "mail") == messages, "the first sync stored every message"
            remove_message(mbox, (rep * 4099 + 17) % messages)
            removed.append(syncdeck(folder, "mail"))
            assert stored(folder, "mail") == messages - 1
    return first, removed


def run(scale: float, reps: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="syncdeck-bench-corpus-") as tmp:
        tree = Path(tmp) / "docs"
        files = copy_tree(tree, max(200, int(4_000 * scale)))
        first, unchanged, edit = docs_arms(tree, files, reps)
        a, b, c = median(first), median(unchanged), median(edit)
        label = f"{files:,} real doc files"
        rows.append(
            Row(f"unchanged re-sync, {label} (whole process)", f"{b:.2f} s",
                f"first sync {a:.2f} s", a / b, ">= 15x faster than the first", a / b >= 15)
        )  # fmt: skip
        rows.append(
            Row(f"one-file edit, {label} (whole process)", f"{c:.2f} s",
                f"first sync {a:.2f} s", a / c, ">= 15x faster than the first", a / c >= 15)
        )  # fmt: skip
        messages = max(1_000, int(30_000 * scale))
        corpus = write_mbox(Path(tmp) / "corpus.mbox", messages)
        mail_first, mail_removed = mail_arms(corpus, messages, min(reps, 3))
        a, b = median(mail_first), median(mail_removed)
        rows.append(
            Row(f"mbox of {messages:,} messages, one removed (whole process)", f"{b:.2f} s",
                f"first sync {a:.2f} s", b / a, "<= 0.15 of the first sync", b / a <= 0.15)
        )  # fmt: skip
    return rows
