"""Config fuzzing: whatever the file holds, loading it and building its connectors ends
in a connector or a clear syncdeck error — never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdeck.app.config import load_config
from syncdeck.app.context import make_registry
from syncdeck.core.errors import SyncdeckError

TYPES = ["filesystem", "mailbox", "jsonl", "sqlite", "http", "demo", "nope", "",
         "os:system", "syncdeck.core.store:KnowledgeStore", "./missing.py:Thing",
         "pkg.mod:", ":Class", "a:b:c"]  # fmt: skip
PARAMS = ["path", "url", "count", "delay", "fail_at", "fail_mode", "include", "exclude",
          "items_path", "id_field", "query", "table", "token", "headers", "timeout",
          "batch_size", "format", "pagination", "seed", "bogus", "type"]  # fmt: skip

plausible = st.sampled_from([10, 0, 1, 0.01, "once", "always", "mbox", "auto", "page",
                             "${HOME}", "${X:-fallback}", "."])  # fmt: skip
scalars = st.one_of(
    plausible,
    plausible,
    plausible,
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(["${UNSET_SYNCDECK_VAR}", "$$", "~/x", "http://127.0.0.1:9/x", "ftp://x"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(PARAMS), inner, max_size=3)
    ),
    max_leaves=6,
)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return (
        "{"
        + ", ".join(
            f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()
        )
        + "}"
    )


@st.composite
def configs(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.integers(0, 3)) == 0:
        lines.append("[defaults]")
        for key in draw(st.lists(st.sampled_from(["batch_size", "max_concurrent",
                                                   "lease_timeout", "colour"]),
                                 unique=True, max_size=3)):  # fmt: skip
            lines.append(f"{key} = {toml_value(draw(values))}")
    for name in draw(st.lists(st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
                              unique=True, max_size=2)):  # fmt: skip
        lines.append(f"[connectors.{name}]")
        if draw(st.integers(0, 19)):
            kind = draw(st.sampled_from(["demo", "demo", "demo", *TYPES]) | scalars)
            lines.append(f"type = {toml_value(kind)}")
        for key in draw(st.lists(st.sampled_from(PARAMS), unique=True, max_size=3)):
            if key != "type":
                lines.append(f"{key} = {toml_value(draw(values))}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.sampled_from(["connectors = 3", "[connectors]\nx = 1", "[[a]]"])))
    return "\n".join(lines) + "\n"


def load_and_build(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "syncdeck.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "replace"))
        environ = {"HOME": tmp}
        try:
            config = load_config(path, environ)
        except SyncdeckError as exc:
            assert str(path) in str(exc)  # every config error names the file
            return
        registry = make_registry(config)
        for spec in config.specs.values():
            try:
                connector = registry.create(spec.type, spec.id, spec.params)
            except SyncdeckError as exc:
                assert str(exc)
            else:
                assert connector.connector_id == spec.id
                connector.close()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_structured_configs_load_or_fail_clearly(text: str) -> None:
    load_and_build(text)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_arbitrary_bytes_load_or_fail_clearly(text: str | bytes) -> None:
    load_and_build(text)
