"""Run every benchmark on this machine and print one table (ratios measured side by side).

usage: python benchmarks/run.py [--scale 1.0] [--reps 7] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time

from common import Row  # this folder is on sys.path: run.py is run as a script

BENCHMARKS = [
    "ingest",
    "engine_overhead",
    "resync",
    "memory",
    "startup",
    "ui_load",
    "imap",
    "sources",
    "mirror",
    "postgres",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sizes")
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each arm")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, default=BENCHMARKS)
    args = parser.parse_args()
    rows: list[Row] = []
    started = time.perf_counter()
    for name in args.only:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        t0 = time.perf_counter()
        rows.extend(module.run(args.scale, args.reps))
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    header = ["benchmark", "syncdeck", "reference", "ratio", "target", "met"]
    print(f"\nscale {args.scale}, {args.reps} repetitions, medians; "
          f"Python {platform.python_version()} on {platform.machine()}, "
          f"{time.perf_counter() - started:.0f} s in all\n")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
