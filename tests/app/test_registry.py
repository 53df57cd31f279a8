"""Resolving connector types (built-in, entry point, module, file) and checking parameters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from syncdeck.app.parameters import REQUIRED, parameter_docs
from syncdeck.app.registry import ConnectorRegistry
from syncdeck.core.connector import BaseConnector
from syncdeck.core.errors import ConfigError, ConnectorLoadError

CONNECTOR_SOURCE = '''
from pathlib import Path
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document


class Tiny(BaseConnector):
    """A tiny connector for the registry tests.

    Parameters:
        path: the folder to read,
            spread over two lines
        count: how many documents
        ratio: a number
        verbose: say more
        tags: labels to add
        options: free-form settings
        api_token: credential for the service
    """

    def __init__(
        self,
        path: Path,
        count: int = 3,
        ratio: float = 1.0,
        verbose: bool = False,
        tags: list[str] | None = None,
        options: dict | None = None,
        api_token: str = "",
    ) -> None:
        if count < 0:
            raise ValueError(f"count must not be negative (token {api_token})")
        self.path, self.count, self.ratio = path, count, ratio
        self.verbose, self.tags, self.options = verbose, tags, options

    def sync(self, *, since, cursor):
        for i in range(self.count):
            yield Document(doc_id=str(i), source="tiny", doc_type="note", content="x")
        yield Checkpoint(str(self.count))


class Open(BaseConnector):
    def __init__(self, name: str, **extra) -> None:
        self.name, self.extra = name, extra

    def sync(self, *, since, cursor):
        return iter(())


class NotAConnector:
    pass


class Abstract(BaseConnector):
    pass
'''


@pytest.fixture
def connector_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module ``tiny_connectors_<n>`` holding the classes above."""
    name = f"tiny_connectors_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(CONNECTOR_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "syncdeck.toml"
    path.parent.mkdir()
    path.write_text("")
    return path


def test_builtin_name_resolves_through_the_mapping(connector_module: str) -> None:
    registry = ConnectorRegistry({"tiny": f"{connector_module}:Tiny"})
    cls = registry.resolve("tiny")
    assert cls.__name__ == "Tiny" and issubclass(cls, BaseConnector)
    assert registry.types()[0].name == "tiny"


def test_module_colon_class(connector_module: str) -> None:
    cls = ConnectorRegistry().resolve(f"{connector_module}:Tiny")
    assert cls.__module__ == connector_module


def test_file_relative_to_the_config_folder(config_path: Path) -> None:
    (config_path.parent / "mine.py").write_text(CONNECTOR_SOURCE)
    registry = ConnectorRegistry(config_path=config_path)
    instance = registry.create("./mine.py:Tiny", "docs", {"path": "data", "count": 2})
    assert instance.connector_id == "docs"
    # a Path parameter given as a relative string is taken from the config's folder
    assert instance.path == config_path.parent / "data"
    items = list(instance.sync(since=None, cursor=None))
    assert [getattr(i, "doc_id", None) for i in items] == ["0", "1", None]


def test_entry_point_from_an_installed_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    package = site / "sd_plugin_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(CONNECTOR_SOURCE)
    dist = site / "sd_plugin_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sd-plugin-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[syncdeck.connectors]\nplugged = sd_plugin_pkg:Tiny\nbroken = sd_plugin_pkg:Missing\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "sd_plugin_pkg", raising=False)
    registry = ConnectorRegistry({})
    listed = {t.name: t for t in registry.types()}
    assert listed["plugged"].target == "sd_plugin_pkg:Tiny"
    assert "sd-plugin-pkg" in listed["plugged"].origin
    assert registry.resolve("plugged").__name__ == "Tiny"
    with pytest.raises(ConnectorLoadError, match="broken"):
        registry.resolve("broken")


def test_unknown_type_lists_the_known_ones() -> None:
    registry = ConnectorRegistry({"filesystem": "x:Y"})
    with pytest.raises(ConfigError, match=r"unknown connector type 'nope'.*filesystem"):
        registry.resolve("nope")


def test_unknown_type_in_create_names_file_table_and_key(config_path: Path) -> None:
    registry = ConnectorRegistry({}, config_path=config_path)
    with pytest.raises(ConfigError) as err:
        registry.create("nope", "docs", {})
    assert f"{config_path}: [connectors.docs] type: unknown connector type 'nope'" in str(err.value)


def test_syntax_error_in_a_connector_file_reports_file_and_line(config_path: Path) -> None:
    broken = config_path.parent / "broken.py"
    broken.write_text("import os\n\ndef oops(:\n    pass\n")
    with pytest.raises(ConnectorLoadError) as err:
        ConnectorRegistry(config_path=config_path).create("broken.py:X", "b", {})
    message = str(err.value)
    assert f"{broken}:3" in message and "SyntaxError" in message
    assert "[connectors.b] type" in message


def test_exception_while_loading_a_file_reports_its_line(config_path: Path) -> None:
    broken = config_path.parent / "raises.py"
    broken.write_text("x = 1\ny = 2\nraise RuntimeError('no config found')\n")
    with pytest.raises(ConnectorLoadError) as err:
        ConnectorRegistry(config_path=config_path).resolve("./raises.py:X")
    assert f"{broken}:3" in str(err.value) and "RuntimeError: no config found" in str(err.value)


def test_missing_file_and_missing_class(config_path: Path) -> None:
    registry = ConnectorRegistry(config_path=config_path)
    with pytest.raises(ConnectorLoadError, match="does not exist"):
        registry.resolve("./absent.py:X")
    (config_path.parent / "mine.py").write_text(CONNECTOR_SOURCE)
    with pytest.raises(ConnectorLoadError, match=r"no attribute 'Tyni'.*Tiny"):
        registry.resolve("./mine.py:Tyni")


def test_missing_module_is_a_load_error() -> None:
    with pytest.raises(ConnectorLoadError, match=r"no module named 'no_such_pkg_xyz\.mod'"):
        ConnectorRegistry().resolve("no_such_pkg_xyz.mod:C")


def test_not_a_connector_and_abstract_are_refused(connector_module: str) -> None:
    registry = ConnectorRegistry()
    with pytest.raises(ConnectorLoadError, match="not a subclass of syncdeck's BaseConnector"):
        registry.resolve(f"{connector_module}:NotAConnector")
    with pytest.raises(ConnectorLoadError, match=r"abstract.*sync"):
        registry.resolve(f"{connector_module}:Abstract")


def test_parameters_describe_the_constructor_with_docs(connector_module: str) -> None:
    registry = ConnectorRegistry()
    params = {p.name: p for p in registry.parameters(registry.resolve(f"{connector_module}:Tiny"))}
    assert list(params) == ["path", "count", "ratio", "verbose", "tags", "options", "api_token"]
    assert params["path"].required and params["path"].default is REQUIRED
    assert params["path"].doc == "the folder to read, spread over two lines"
    assert params["count"].annotation == "int" and params["count"].default == 3
    assert params["tags"].annotation == "list[str] | None"
    assert params["api_token"].doc == "credential for the service"


def test_parameter_docs_stop_at_the_next_section() -> None:
    class Documented(BaseConnector):
        """Summary.

        Parameters:
            url: where to fetch
                (over HTTPS)
            limit: at most this many

        Notes:
            other: not a parameter
        """

        def sync(self, *, since, cursor):  # pragma: no cover - never run
            return iter(())

    assert parameter_docs(Documented) == {
        "url": "where to fetch (over HTTPS)",
        "limit": "at most this many",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"path": "p", "colour": 1},
            r"\[connectors.t\] colour: unknown parameter for Tiny; expected one of: path, count",
        ),
        (
            {},
            r"\[connectors.t\] path: missing required parameter of Tiny; "
            r"expected a path .*the folder to read",
        ),
        (
            {"path": "p", "count": "3"},
            r"\[connectors.t\] count: expected an integer, got a string '3'",
        ),
        ({"path": "p", "verbose": "yes"}, r"verbose: expected true or false, got a string 'yes'"),
        ({"path": "p", "count": True}, r"count: expected an integer, got a boolean True"),
        (
            {"path": "p", "tags": ["a", 2]},
            r"tags: expected a list of strings or nothing, got a list",
        ),
        (
            {"path": "p", "tags": "a"},
            r"tags: expected a list of strings or nothing, got a string 'a'",
        ),
        ({"path": "p", "options": [1]}, r"options: expected a table or nothing, got a list"),
        ({"path": 5}, r"path: expected a path \(string\), got an integer 5"),
        ({"path": "p", "api_token": 12345}, r"api_token: expected a string, got an integer \*\*\*"),
    ],
)
def test_create_checks_parameters_against_the_signature(
    connector_module: str, config_path: Path, params: dict, expected: str
) -> None:
    registry = ConnectorRegistry(config_path=config_path)
    with pytest.raises(ConfigError, match=expected) as err:
        registry.create(f"{connector_module}:Tiny", "t", params)
    assert str(err.value).startswith(f"{config_path}: [connectors.t]")
    assert "12345" not in str(err.value)


def test_create_converts_ints_for_float_parameters(connector_module: str) -> None:
    instance = ConnectorRegistry().create(
        f"{connector_module}:Tiny",
        "t",
        {"path": "/data", "ratio": 2, "tags": ["a"], "options": {"k": 1}},
    )
    assert instance.ratio == 2.0 and isinstance(instance.ratio, float)
    assert instance.path == Path("/data") and instance.tags == ["a"]


def test_create_sets_id_and_secret_values_for_the_engine(connector_module: str) -> None:
    instance = ConnectorRegistry().create(
        f"{connector_module}:Tiny",
        "t",
        {"path": "/data", "api_token": "tok-123456"},
        secrets=["from-env-secret"],
    )
    assert instance.connector_id == "t"
    assert instance.secret_values == ("tok-123456", "from-env-secret")


def test_var_keyword_constructor_accepts_any_key(connector_module: str) -> None:
    instance = ConnectorRegistry().create(f"{connector_module}:Open", "o", {"name": "n", "x": 1})
    assert instance.extra == {"x": 1}


def test_constructor_errors_become_config_errors_without_the_secret(connector_module: str) -> None:
    registry = ConnectorRegistry()
    with pytest.raises(ConfigError) as err:
        registry.create(
            f"{connector_module}:Tiny",
            "t",
            {"path": "p", "count": -1, "api_token": "hunter2-secret"},
        )
    message = str(err.value)
    assert "[connectors.t]" in message and "count must not be negative" in message
    assert "hunter2-secret" not in message and "***" in message


def test_edited_connector_file_is_reloaded(config_path: Path) -> None:
    import os

    source = config_path.parent / "mine.py"
    source.write_text(CONNECTOR_SOURCE)
    registry = ConnectorRegistry(config_path=config_path)
    first = registry.resolve("mine.py:Tiny")
    assert registry.resolve("mine.py:Tiny") is first  # unchanged file: same class
    source.write_text(CONNECTOR_SOURCE.replace("A tiny connector", "An edited connector"))
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = registry.resolve("mine.py:Tiny")
    assert "edited" in (second.__doc__ or "") and first is not second
