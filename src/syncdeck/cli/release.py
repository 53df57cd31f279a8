"""``syncdeck release NAME``: free a connector's lease by hand, when its holder is stuck or
its host is gone for good (a dead holder on this host is taken over without asking)."""

from __future__ import annotations

import argparse

from syncdeck.cli.confirm import ask
from syncdeck.cli.exit_codes import OK
from syncdeck.cli.session import known_name, open_from_args
from syncdeck.core.state import HOST, pid_alive


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as context:
        name = known_name(context, args.name)
        state = context.engine.states().get(name)
        holder = state.active if state is not None else None
        if holder is None:
            print(f"{name}: no run holds its lease; nothing to release")
            return OK
        where = f"run {holder.run_id}, {holder.holder}, last heartbeat {holder.heartbeat:%H:%M:%S}"
        if holder.host == HOST and pid_alive(holder.pid):
            where += "; that process is still alive on this host: cancel it there if you can"
        question = (
            f"Release the lease of {name!r} ({where})? If that run is still writing, two "
            "runs may overlap until it notices."
        )
        refused = ask(args.yes, f"release the lease of {name!r}", question, "not released")
        if refused is not None:
            return refused
        released = context.engine.release_lease(name)
        if released is None:
            print(f"{name}: the run ended meanwhile; nothing to release")
            return OK
        print(
            f"{name}: lease of run {released.run_id} ({released.holder}) released; it is "
            f"recorded as abandoned in: syncdeck history {name}"
        )
    return OK
