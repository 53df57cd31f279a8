"""``syncdeck new-connector NAME``: a connector to start from - commented, runnable as
written, passing ``check`` and ``ruff`` - with a sample of its source, a configuration
snippet and a pytest file that runs ``check`` on it."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from syncdeck.core.errors import ConfigError

_TEMPLATES = "syncdeck.devkit.templates"


@dataclass(frozen=True)
class Names:
    """What NAME becomes in the files: a module, a class, a title, a variable."""

    name: str
    module: str  # my_feed
    cls: str  # MyFeedConnector
    title: str  # My feed
    env: str  # MY_FEED_TOKEN

    @classmethod
    def of(cls, name: str) -> Names:
        words = [w for w in re.split(r"[^0-9A-Za-z]+|(?<=[a-z0-9])(?=[A-Z])", name) if w]
        module = "_".join(w.lower() for w in words)
        if not module or not module.isidentifier() or keyword.iskeyword(module):
            raise ConfigError(
                f"new-connector: {name!r} cannot name a Python module; use letters, digits "
                "and dashes or underscores, starting with a letter (e.g. my-feed)"
            )
        parts = [w[:1].upper() + w[1:] for w in words]
        if parts[-1].lower() != "connector":
            parts.append("Connector")
        title = " ".join(words).capitalize()
        return cls(name, module, "".join(parts), title, f"{module.upper()}_TOKEN")


@dataclass(frozen=True)
class Scaffold:
    names: Names
    files: dict[str, str]  # file name -> text

    @property
    def connector_file(self) -> str:
        return f"{self.names.module}.py"

    @property
    def sample_file(self) -> str:
        return f"{self.names.module}_sample.jsonl"


def render(name: str) -> Scaffold:
    names = Names.of(name)
    values = {
        "name": names.name,
        "module": names.module,
        "cls": names.cls,
        "title": names.title,
        "env": names.env,
    }
    files = {
        f"{names.module}.py": "connector.py.tmpl",
        f"{names.module}.toml": "config.toml.tmpl",
        f"{names.module}_sample.jsonl": "sample.jsonl.tmpl",
        f"test_{names.module}.py": "test_connector.py.tmpl",
    }
    package = resources.files(_TEMPLATES)
    return Scaffold(
        names,
        {
            target: Template(package.joinpath(source).read_text(encoding="utf-8")).substitute(
                values
            )
            for target, source in files.items()
        },
    )


def write(name: str, directory: Path, *, force: bool = False) -> tuple[Scaffold, list[Path]]:
    """Write the files into ``directory`` (created if needed); an existing file is an
    error unless ``force``, and then nothing is written."""
    scaffold = render(name)
    targets = [directory / file_name for file_name in scaffold.files]
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing)
        raise ConfigError(f"new-connector: {shown} already exist(s); pass --force to replace")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path in targets:
            path.write_text(scaffold.files[path.name], encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"new-connector: cannot write into {directory}: {exc.strerror or exc}"
        ) from None
    return scaffold, targets
