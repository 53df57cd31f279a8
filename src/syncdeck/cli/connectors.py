"""``syncdeck connectors``: the connector types, their parameters, and configured instances."""

from __future__ import annotations

import argparse
import inspect

from syncdeck.app.parameters import ParameterInfo
from syncdeck.app.registry import ConnectorRegistry
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import load_config, redact
from syncdeck.core.errors import ConfigError, ConnectorLoadError
from syncdeck.core.redaction import MASK, is_secret_name


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _parameter_line(param: ParameterInfo) -> str:
    kind = f": {param.annotation}" if param.annotation else ""
    if param.required:
        default = " (required)"
    elif is_secret_name(param.name) and param.default not in (None, ""):
        default = f" = {MASK}"
    else:
        default = f" = {param.default!r}"
    doc = f"  {param.doc}" if param.doc else ""
    return f"    {param.name}{kind}{default}{doc}"


def _describe(registry: ConnectorRegistry, type_name: str, origin: str) -> list[str]:
    try:
        cls = registry.resolve(type_name)
    except (ConfigError, ConnectorLoadError) as exc:
        return [f"{type_name}  ({origin})", f"    cannot load: {redact(str(exc))}"]
    lines = [f"{type_name}  ({origin}: {cls.__module__}.{cls.__qualname__})"]
    summary = _summary(cls)
    if summary:
        lines.append(f"  {summary}")
    params = registry.parameters(cls)
    lines.extend(_parameter_line(p) for p in params)
    if not params:
        lines.append("    (no parameters)")
    return lines


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    from syncdeck.app.context import make_registry

    registry = make_registry(config)
    if args.type:
        cls = registry.resolve(args.type)  # errors -> exit 2 with the message
        del cls
        for line in _describe(registry, args.type, "type"):
            print(line)
        return OK
    named = registry.types()
    blocks = [_describe(registry, t.name, t.origin) for t in named]
    names = {t.name for t in named}
    extra = dict.fromkeys(spec.type for spec in config.specs.values() if spec.type not in names)
    blocks.extend(_describe(registry, type_name, "configured") for type_name in extra)
    print("connector types:")
    for block in blocks:
        print()
        for line in block:
            print(f"  {line}")
    print()
    where = str(config.path) if config.path else "the embedded demo configuration"
    print(f"configured connectors ({where}):")
    if not config.specs:
        print("  none")
    for spec in config.specs.values():
        params = ", ".join(f"{k}={v!r}" for k, v in spec.redacted_params().items())
        print(f"  {spec.id}: {spec.type}" + (f"  {redact(params)}" if params else ""))
    return OK
