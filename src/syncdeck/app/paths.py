"""Where syncdeck finds its configuration and keeps its data.

Each location has the same precedence: a command-line option, else an environment
variable, else the platform's per-user folder (platformdirs). A configuration is also
found as ``syncdeck.toml`` in the current folder, before the per-user one; the embedded
demo configuration keeps its data in a folder of its own (the per-user cache), so trying
the demo never fills the store a real configuration uses.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from syncdeck.core.database import make_private_dirs
from syncdeck.core.errors import ConfigError

APP_NAME = "syncdeck"
CONFIG_ENV = "SYNCDECK_CONFIG"
DATA_DIR_ENV = "SYNCDECK_DATA_DIR"
DATABASE_URL_ENV = "SYNCDECK_DATABASE_URL"
CONFIG_FILE_NAME = "syncdeck.toml"
STATE_DB_NAME = "sync_state.db"
STORE_DB_NAME = "knowledge.db"


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / CONFIG_FILE_NAME


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def demo_data_dir() -> Path:
    """Where the embedded demo keeps its databases unless told otherwise: apart from the
    per-user data folder, in the cache folder (``~/.cache/syncdeck/demo`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME)) / "demo"


def find_config(
    explicit: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path | None:
    """The configuration file to read, or None to use the embedded demo configuration."""
    found = locate_config(explicit, environ)
    return found[0] if found is not None else None


def locate_config(
    explicit: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Path, str] | None:
    """The configuration file to read and what chose it ("--config", "$SYNCDECK_CONFIG",
    "the current folder", "the per-user folder"), or None for the demo configuration.

    A file named explicitly (option or environment variable) must exist; the ones looked
    for (``./syncdeck.toml``, then the per-user file) may be absent.
    """
    env = os.environ if environ is None else environ
    if explicit is not None and os.fspath(explicit) != "":
        path, origin = Path(explicit).expanduser(), "--config"
    elif env.get(CONFIG_ENV):
        path, origin = Path(env[CONFIG_ENV]).expanduser(), f"${CONFIG_ENV}"
    else:
        here = Path.cwd() / CONFIG_FILE_NAME
        if here.is_file():
            return here.resolve(), "the current folder"
        default = default_config_path()
        return (default, "the per-user folder") if default.is_file() else None
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found (given by {origin})")
    if not path.is_file():
        raise ConfigError(f"{path}: is not a file; {origin} expects a TOML configuration file")
    return path.resolve(), origin


def resolve_data_dir(
    explicit: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    demo: bool = False,
) -> Path:
    """The data directory (not created); ``demo`` for the embedded demo configuration,
    whose data stays apart unless a folder is named."""
    env = os.environ if environ is None else environ
    if explicit is not None and os.fspath(explicit) != "":
        return Path(explicit).expanduser().resolve()
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser().resolve()
    return demo_data_dir() if demo else default_data_dir()


def ensure_data_dir(path: Path) -> Path:
    """Create the data directory private to the user (0700) if it does not exist."""
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{path}: the data directory is a file, not a folder; choose another with "
            f"--data-dir or ${DATA_DIR_ENV}"
        )
    try:
        make_private_dirs(path)  # parents it creates are 0700 too, whatever the umask
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot create the data directory ({exc.strerror or exc}); choose "
            f"another with --data-dir or ${DATA_DIR_ENV}"
        ) from None
    return path


def resolve_database_url(
    explicit: str | None = None,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
) -> str | None:
    """The PostgreSQL URL holding state and store: ``--database-url``, else
    ``$SYNCDECK_DATABASE_URL``, else ``[defaults] database_url``; None for the SQLite files."""
    from syncdeck.core.backend import is_database_url

    env = os.environ if environ is None else environ
    for value, origin in (
        (explicit, "--database-url"),
        (env.get(DATABASE_URL_ENV), f"${DATABASE_URL_ENV}"),
        (configured, "[defaults] database_url"),
    ):
        if value:
            if not is_database_url(value):
                raise ConfigError(
                    f"{origin}: expected a URL starting with postgresql:// (the value is not "
                    "shown: it may hold a password)"
                )
            return value
    return None


def open_to_others(path: Path) -> str | None:
    """A warning when the data directory can be read or written by other users: it holds
    the synced documents and the checkpoints."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    what = "readable" if mode & 0o044 else "writable"
    return (
        f"{path} is {what} by other users (mode {mode:04o}); it holds your synced documents: "
        f"chmod 700 {path}"
    )
