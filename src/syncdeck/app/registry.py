"""Connector types: resolving a type string to a class, describing and creating instances.

A type is one of:

- a built-in name (``filesystem``), from the mapping the application passes in, so that
  the core never imports the connectors package;
- the name of an entry point in the ``syncdeck.connectors`` group, for installed plugins;
- ``package.module:Class``, for a connector importable from ``sys.path``;
- ``path/to/file.py:Class``, for a connector under development; a relative path is taken
  from the configuration file's folder.

Parameters are checked against the class's constructor before it is called
(:mod:`syncdeck.app.parameters`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import stat
import sys
import traceback
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncdeck.app.parameters import ParameterInfo, check_params, parameters
from syncdeck.app.suggest import did_you_mean
from syncdeck.core.connector import BaseConnector
from syncdeck.core.describe import describe_error
from syncdeck.core.errors import ConfigError, ConnectorLoadError, SyncdeckError
from syncdeck.core.redaction import redact_text, secret_values

if TYPE_CHECKING:
    from importlib import metadata

ENTRY_POINT_GROUP = "syncdeck.connectors"


@dataclass(frozen=True)
class ConnectorType:
    """A type name and where it comes from, for ``syncdeck connectors``."""

    name: str
    target: str  # "module:Class"
    origin: str  # "built-in" or "entry point (distribution)"


# -- the registry ----------------------------------------------------------------------------


class ConnectorRegistry:
    """Resolves connector type strings to classes and creates configured instances.

    ``builtins`` maps a type name to ``"module:Class"``; ``config_path`` is the
    configuration file, used to resolve relative connector files and to name the file in
    error messages.
    """

    def __init__(
        self,
        builtins: Mapping[str, str] | None = None,
        *,
        config_path: str | Path | None = None,
        base_dir: str | Path | None = None,
        entry_point_group: str = ENTRY_POINT_GROUP,
    ) -> None:
        self.builtins = dict(builtins or {})
        self.config_path = Path(config_path) if config_path is not None else None
        if base_dir is not None:
            self.base_dir = Path(base_dir)
        elif self.config_path is not None:
            self.base_dir = self.config_path.parent
        else:
            self.base_dir = Path.cwd()
        self.entry_point_group = entry_point_group
        self._classes: dict[str, type[BaseConnector]] = {}
        self._file_modules: dict[tuple[Path, int], types.ModuleType] = {}

    # -- listing --------------------------------------------------------------------------

    def entry_points(self) -> dict[str, metadata.EntryPoint]:
        from importlib import metadata  # only when a type is not built in (25 ms)

        found: dict[str, metadata.EntryPoint] = {}
        for ep in metadata.entry_points(group=self.entry_point_group):
            found.setdefault(ep.name, ep)
        return found

    def types(self) -> list[ConnectorType]:
        """Every named type: built-ins first, then installed entry points."""
        listed = [ConnectorType(name, target, "built-in") for name, target in self.builtins.items()]
        for name, ep in sorted(self.entry_points().items()):
            if name in self.builtins:
                continue
            dist = ep.dist.name if ep.dist is not None else "?"
            listed.append(ConnectorType(name, ep.value, f"entry point ({dist})"))
        return listed

    # -- resolving ------------------------------------------------------------------------

    def resolve(self, type_name: str) -> type[BaseConnector]:
        """The connector class for a type string (cached)."""
        if not isinstance(type_name, str) or not type_name.strip():
            raise ConfigError(f"connector type must be a non-empty string, got {type_name!r}")
        cached = self._classes.get(type_name)
        if cached is not None:
            return cached
        cls = self._load(type_name.strip())
        if not (isinstance(cls, type) and issubclass(cls, BaseConnector)):
            what = cls.__name__ if isinstance(cls, type) else type(cls).__name__
            raise ConnectorLoadError(
                f"{type_name!r} is {what}, not a subclass of syncdeck's BaseConnector"
            )
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
            raise ConnectorLoadError(
                f"{type_name!r} is abstract: it does not implement {missing or 'sync'}"
            )
        if not self._is_file_type(type_name):
            # a connector file is looked up again each time, so an edited file is reloaded
            # (its module is cached by modification time)
            self._classes[type_name] = cls
        return cls

    @staticmethod
    def _is_file_type(type_name: str) -> bool:
        location, sep, _ = type_name.strip().rpartition(":")
        return bool(sep) and _is_file_reference(location)

    def _load(self, type_name: str) -> Any:
        if ":" not in type_name or _looks_like_windows_drive(type_name):
            if type_name in self.builtins:
                return self._load_target(self.builtins[type_name], f"built-in {type_name!r}")
            ep = self.entry_points().get(type_name)
            if ep is not None:
                try:
                    return ep.load()
                except SyntaxError as exc:
                    raise ConnectorLoadError(
                        f"entry point {type_name!r} ({ep.value}): {_syntax_error_text(exc)}"
                    ) from None
                except Exception as exc:
                    raise ConnectorLoadError(
                        f"entry point {type_name!r} ({ep.value}) failed to load: "
                        f"{describe_error(exc)}"
                    ) from None
            names = [t.name for t in self.types()]
            raise ConfigError(
                f"unknown connector type {type_name!r}{did_you_mean(type_name, names)}; "
                f"expected one of: {', '.join(names) or 'none'}, or 'package.module:Class', "
                "or 'path/to/file.py:Class'"
            )
        location, _, attr = type_name.rpartition(":")
        if not location or not attr:
            raise ConfigError(
                f"connector type {type_name!r} must be 'package.module:Class' or "
                "'path/to/file.py:Class'"
            )
        if _is_file_reference(location):
            return self._load_from_file(location, attr)
        return self._load_target(type_name, repr(type_name))

    def _load_target(self, target: str, label: str) -> Any:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise ConnectorLoadError(
                    f"{label}: no module named {module_name!r} (is it installed, or on PYTHONPATH?)"
                ) from None
            raise ConnectorLoadError(f"{label}: {describe_error(exc)}") from None
        except SyntaxError as exc:
            raise ConnectorLoadError(f"{label}: {_syntax_error_text(exc)}") from None
        except Exception as exc:
            raise ConnectorLoadError(
                f"{label}: importing {module_name} failed: {describe_error(exc)}"
            ) from None
        return _get_attr(module, attr, label)

    def _load_from_file(self, location: str, attr: str) -> Any:
        path = Path(location).expanduser()
        if not path.is_absolute():
            path = self.base_dir / path
        path = path.resolve()
        if not path.is_file():
            raise ConnectorLoadError(f"connector file {path} does not exist")
        _refuse_writable_by_others(self.config_path, f"and it loads code from {path}")
        _refuse_writable_by_others(path, "and syncdeck would run it")
        mtime = path.stat().st_mtime_ns
        module = self._file_modules.get((path, mtime))
        if module is None:
            digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]
            module_name = f"syncdeck_connector_{_identifier(path.stem)}_{digest}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ConnectorLoadError(f"{path}: cannot be loaded as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # dataclasses and pickling look modules up here
            try:
                spec.loader.exec_module(module)
            except SyntaxError as exc:
                sys.modules.pop(module_name, None)
                raise ConnectorLoadError(_syntax_error_text(exc)) from None
            except BaseException as exc:
                sys.modules.pop(module_name, None)
                if not isinstance(exc, Exception):
                    raise
                line = _line_in(exc, path)
                where = f"{path}:{line}" if line else str(path)
                raise ConnectorLoadError(
                    f"{where}: loading the connector file failed: {describe_error(exc)}"
                ) from None
            self._file_modules[(path, mtime)] = module
        return _get_attr(module, attr, str(path))

    # -- describing and checking ------------------------------------------------------------

    def parameters(self, cls: type[BaseConnector]) -> list[ParameterInfo]:
        """The constructor's keyword parameters, with the docstring's descriptions."""
        return parameters(cls)

    def _where(self, connector_id: str, key: str | None = None) -> str:
        parts = []
        if self.config_path is not None:
            parts.append(f"{self.config_path}:")
        parts.append(f"[connectors.{connector_id}]")
        if key:
            parts.append(key)
        return " ".join(parts)

    def check_params(
        self, cls: type[BaseConnector], connector_id: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate ``params`` against the constructor; returns them ready to pass
        (``Path`` parameters resolved against the configuration file's folder)."""
        return check_params(
            cls, params, where=lambda key: self._where(connector_id, key), base_dir=self.base_dir
        )

    def create(
        self,
        type_name: str,
        connector_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        secrets: Iterable[str] = (),
    ) -> BaseConnector:
        """A configured instance with ``connector_id`` set; raises ConfigError with the
        file, table and key when the parameters do not fit the constructor.

        The instance's ``secret_values`` are the values of its secret-named parameters
        plus ``secrets`` (e.g. values of secret-named environment variables), so the engine
        can mask them in errors and tracebacks.
        """
        params = dict(params or {})
        try:
            cls = self.resolve(type_name)
        except (ConfigError, ConnectorLoadError) as exc:
            raise type(exc)(f"{self._where(connector_id, 'type')}: {exc}") from None
        checked = self.check_params(cls, connector_id, params)
        secrets = tuple(dict.fromkeys([*secret_values(params), *secrets]))
        try:
            instance = cls(**checked)
        except SyncdeckError as exc:
            message = redact_text(str(exc), secrets)
            raise ConfigError(f"{self._where(connector_id)}: {message}") from None
        except Exception as exc:
            line = _line_in(exc, Path(inspect.getsourcefile(cls) or ""))
            where = f" ({inspect.getsourcefile(cls)}:{line})" if line else ""
            message = redact_text(describe_error(exc), secrets)
            raise ConfigError(
                f"{self._where(connector_id)}: {cls.__name__} rejected its parameters{where}: "
                f"{message}"
            ) from None
        instance.connector_id = connector_id
        instance.secret_values = tuple(s for s in secrets if s)
        return instance


# -- helpers ---------------------------------------------------------------------------------


def _refuse_writable_by_others(path: Path | None, why: str) -> None:
    """Refuse code that others could change (as ssh refuses such key files): a connector
    file, or a configuration naming one, writable by the group or by everyone."""
    if path is None:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o022:
        raise ConnectorLoadError(
            f"{path}: can be written by other users (mode {stat.S_IMODE(mode):04o}), {why}: "
            f"anyone who can edit it could run code as you; fix with: chmod go-w {path}"
        )


def _looks_like_windows_drive(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/"


def _is_file_reference(location: str) -> bool:
    return (
        location.endswith(".py")
        or "/" in location
        or "\\" in location
        or location.startswith((".", "~"))
    )


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text) or "module"


def _get_attr(module: types.ModuleType, attr: str, label: str) -> Any:
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            names = sorted(
                name
                for name, obj in vars(module).items()
                if isinstance(obj, type)
                and issubclass(obj, BaseConnector)
                and obj is not BaseConnector
            )
            hint = f"; connector classes there: {', '.join(names)}" if names else ""
            raise ConnectorLoadError(f"{label}: has no attribute {attr!r}{hint}") from None
    return value


def _syntax_error_text(exc: SyntaxError) -> str:
    where = exc.filename or "<unknown file>"
    if exc.lineno:
        where += f":{exc.lineno}"
        if exc.offset:
            where += f":{exc.offset}"
    return f"{where}: {type(exc).__name__}: {exc.msg}"


def _line_in(exc: BaseException, path: Path) -> int | None:
    """The line of the deepest traceback frame in ``path`` (where the error arose there)."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        try:
            if Path(exc.filename).resolve() == path.resolve():
                return exc.lineno
        except OSError:
            pass
    target = str(path)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == target:
            line = frame.lineno
    return line
