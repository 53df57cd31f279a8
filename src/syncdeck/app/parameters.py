"""A connector type's parameters: read from its constructor's signature, type hints and
docstring, and configuration values checked against them, so a typo in a configuration
file is reported with the file, the table and the key rather than as a ``TypeError`` from
deep inside a sync."""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncdeck.app.config import ENGINE_KEYS
from syncdeck.app.suggest import did_you_mean
from syncdeck.core.errors import ConfigError
from syncdeck.core.redaction import MASK, is_secret_name


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The ``default`` of a parameter that has none."""


@dataclass(frozen=True)
class ParameterInfo:
    """One constructor parameter of a connector type, for listings and checks."""

    name: str
    annotation: str  # as written, e.g. "str", "list[str] | None"; "" when unannotated
    default: Any  # REQUIRED when there is none
    required: bool
    doc: str = ""
    hint: Any = None  # the evaluated annotation, when it could be evaluated


# -- docstrings ------------------------------------------------------------------------------

_HEADING = re.compile(r"^(?P<indent>\s*)(?:Parameters|Args|Arguments)\s*:?\s*$")
_PARAM_LINE = re.compile(
    r"^(?P<indent>\s*)\*{0,2}(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<doc>.*)$"
)


def parameter_docs(cls: type) -> dict[str, str]:
    """``name: description`` lines under a ``Parameters:`` heading of the class docstring.

    Continuation lines (indented deeper than the name) are joined to the description.
    """
    doc = inspect.getdoc(cls) or ""
    docs: dict[str, str] = {}
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADING.match(line)), None)
    if start is None:
        return docs
    heading_indent = len(_HEADING.match(lines[start]).group("indent"))  # type: ignore[union-attr]
    current: str | None = None
    name_indent = 0
    for line in lines[start + 1 :]:
        if line.strip().startswith("---"):
            continue  # numpydoc underline
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        match = _PARAM_LINE.match(line)
        if current is not None and indent > name_indent:  # continues the description
            docs[current] = f"{docs[current]} {line.strip()}".strip()
            continue
        if indent <= heading_indent and line.rstrip().endswith(":"):
            break  # the next section ("Notes:", "Examples:")
        if match and indent >= heading_indent:
            current = match.group("name")
            name_indent = indent
            docs[current] = match.group("doc").strip()
            continue
        if indent <= heading_indent:
            break  # the next section
    return docs


# -- annotations -----------------------------------------------------------------------------


def _annotation_text(raw: Any) -> str:
    if raw is inspect.Parameter.empty:
        return ""
    if isinstance(raw, str):
        return raw
    return inspect.formatannotation(raw)


def _type_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation naming something unimportable: check nothing
        return {}


_SIMPLE: tuple[type, ...] = (str, int, float, bool, list, dict, Path)


def _flatten(hint: Any) -> list[Any] | None:
    """The alternatives of a simple annotation, or None when it is not one we check."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options: list[Any] = []
        for arg in typing.get_args(hint):
            flat = _flatten(arg)
            if flat is None:
                return None
            options.extend(flat)
        return options
    if hint is None or hint is type(None):
        return [type(None)]
    if hint in _SIMPLE:
        return [hint]
    if origin in (list, dict):
        return [hint]
    return None


def _type_name(hint: Any) -> str:
    if hint is type(None):
        return "nothing"
    if hint is Path:
        return "a path (string)"
    if hint is dict or typing.get_origin(hint) is dict:
        return "a table"
    if hint is list:
        return "a list"
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint) or (Any,)
        plural = {str: "strings", int: "integers", float: "numbers", bool: "booleans"}
        return f"a list of {plural.get(item, 'paths' if item is Path else 'values')}"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _describe_value(value: Any) -> str:
    kinds = {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    return kinds.get(type(value), type(value).__name__)


def _matches(value: Any, hint: Any) -> bool:
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is Path:
        return isinstance(value, str | Path)
    origin = typing.get_origin(hint)
    if hint is list or origin is list:
        if not isinstance(value, list):
            return False
        args = typing.get_args(hint)
        if args and args[0] in _SIMPLE:
            return all(_matches(item, args[0]) for item in value)
        return True
    if hint is dict or origin is dict:
        return isinstance(value, dict)
    return True


def parameters(cls: type) -> list[ParameterInfo]:
    """The constructor's keyword parameters, with the docstring's descriptions (read once
    per class: building fifty connectors of one type costs one signature)."""
    return list(_parameters(cls))


@functools.lru_cache(maxsize=256)  # bounded: a connector under development reloads
def _parameters(cls: type) -> tuple[ParameterInfo, ...]:
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return []
    hints = _type_hints(cls)
    docs = parameter_docs(cls)
    found: list[ParameterInfo] = []
    for i, param in enumerate(signature.parameters.values()):
        if i == 0 and param.name in ("self", "cls"):
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            continue
        required = param.default is inspect.Parameter.empty
        found.append(
            ParameterInfo(
                name=param.name,
                annotation=_annotation_text(param.annotation),
                default=REQUIRED if required else param.default,
                required=required,
                doc=docs.get(param.name, ""),
                hint=hints.get(param.name),
            )
        )
    return tuple(found)


def _accepts_any_keyword(cls: type) -> bool:
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())


def expected(info: ParameterInfo) -> str:
    """What a parameter accepts, in words ("an integer or nothing"); "" if unknown."""
    options = _flatten(info.hint) if info.hint is not None else None
    if options:
        return " or ".join(_type_name(o) for o in options)
    return info.annotation


def check_params(
    cls: type,
    params: Mapping[str, Any],
    *,
    where: Callable[[str | None], str],
    base_dir: Path,
) -> dict[str, Any]:
    """Validate ``params`` against the constructor; returns them ready to pass.

    ``where(key)`` names the place in the configuration for messages. Strings given for
    ``Path`` parameters become paths (``~`` expanded, relative ones taken from
    ``base_dir``, the configuration file's folder).
    """
    declared = {p.name: p for p in parameters(cls)}
    checked: dict[str, Any] = {}
    open_ended = _accepts_any_keyword(cls)
    for key, value in params.items():
        info = declared.get(key)
        if info is None:
            if open_ended:
                checked[key] = value
                continue
            accepted = ", ".join(declared) or "no parameters"
            hint = did_you_mean(key, [*declared, *ENGINE_KEYS, "type"])
            raise ConfigError(
                f"{where(key)}: unknown parameter for {cls.__name__}{hint}; expected one of: "
                f"{accepted}"
            )
        checked[key] = _check_value(info, value, where, base_dir)
    missing = [p.name for p in declared.values() if p.required and p.name not in params]
    if missing:
        first = declared[missing[0]]
        wanted = expected(first)
        raise ConfigError(
            f"{where(missing[0])}: missing required parameter of {cls.__name__}"
            + (f"; expected {wanted}" if wanted else "")
            + (f" ({first.doc})" if first.doc else "")
            + (f"; also missing: {', '.join(missing[1:])}" if missing[1:] else "")
        )
    return checked


def _check_value(
    info: ParameterInfo, value: Any, where: Callable[[str | None], str], base_dir: Path
) -> Any:
    if info.hint is None:
        return value
    options = _flatten(info.hint)
    if options is None:
        return value
    if not any(_matches(value, option) for option in options):
        shown = MASK if is_secret_name(info.name) else repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise ConfigError(
            f"{where(info.name)}: expected {expected(info)}, got {_describe_value(value)} {shown}"
        )
    if Path in options and isinstance(value, str):
        path = Path(value).expanduser()
        return path if path.is_absolute() else base_dir / path
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and float in options
        and int not in options
    ):
        return float(value)
    return value
