"""``python -m syncdeck``: the same as the ``syncdeck`` command (for an environment whose
scripts folder is not on PATH)."""

import sys

from syncdeck.cli.main import main

sys.exit(main())
