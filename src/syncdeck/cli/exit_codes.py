"""Process exit codes, as documented in ``syncdeck --help``."""

from __future__ import annotations

OK = 0
SYNC_FAILED = 1  # a sync (or a dry run) failed
USAGE = 2  # bad arguments or configuration, or another error syncdeck diagnosed
ALREADY_RUNNING = 3  # the connector holds a lease in another run
INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT
