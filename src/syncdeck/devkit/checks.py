"""The checks: each judges what the scenarios showed (``Observations``) against one promise
of the sync or mirror contract, and says passed, failed or not applicable - with the
evidence (document ids, positions, cursors, counts, timings) behind a failure.

Checks that compare stores (resume, interrupt, incremental, cursor-used) need a source that
reads the same twice; when two full reads differ they do not apply, and ``stable`` fails.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from syncdeck.core.describe import describe_error
from syncdeck.devkit.probe import (
    CHECKPOINT,
    DELETED,
    DOCUMENT,
    OTHER,
    UNCHANGED,
    InjectedFault,
    Recording,
)
from syncdeck.devkit.report import CheckResult, Evidence, Status, capped
from syncdeck.devkit.runner import InterruptTrial, Observations, ResumeTrial
from syncdeck.devkit.workspace import Digests, RunOutcome

TITLES: dict[str, str] = {
    "full-read": "A full read from scratch succeeds",
    "items": "It yields documents, and only documents and markers",
    "documents-valid": "Every document passes validation (none is quarantined)",
    "ids": "Ids are non-empty strings, unique within a run",
    "stable": "Two full reads give the same ids and content",
    "timestamps": "Timestamps are timezone-aware",
    "checkpoints": "Checkpoints are present and their cursors are strings",
    "resume": "Resuming from a checkpoint gives the full read's store: no gap, no extra",
    "cursor-used": "A resume starts at its cursor, not from the beginning",
    "interrupt": "Cancelled and failed runs resume to an exact store and exact counts",
    "incremental": "A second run yields only what changed",
    "markers": "Deletions, unchanged markers and listings reference stored documents",
    "close": "close() is called after every run and succeeds",
    "secrets": "Secret values appear in no item, cursor or error",
}

_OUR_FILES = (
    str(Path(__file__).parent),
    str(Path(__file__).parents[1] / "core" / "engine.py"),
)


def _result(
    check_id: str,
    status: Status,
    summary: str,
    evidence: Iterable[Evidence] = (),
    measurements: dict[str, int | float | str | None] | None = None,
    notes: Iterable[str] = (),
    *,
    total: int | None = None,
) -> CheckResult:
    return CheckResult(
        check_id,
        TITLES[check_id],
        status,
        summary,
        capped(list(evidence), total),
        measurements or {},
        tuple(notes),
    )


def _passed(check_id: str, summary: str, **kw: object) -> CheckResult:
    return _result(check_id, Status.PASSED, summary, **kw)  # type: ignore[arg-type]


def _failed(check_id: str, summary: str, evidence: Iterable[Evidence], **kw: object) -> CheckResult:
    return _result(check_id, Status.FAILED, summary, evidence, **kw)  # type: ignore[arg-type]


def _not_applicable(check_id: str, why: str, **kw: object) -> CheckResult:
    return _result(check_id, Status.NOT_APPLICABLE, why, **kw)  # type: ignore[arg-type]


def connector_traceback(error: BaseException | None) -> str | None:
    """The traceback of ``error`` without the frames of the check and the engine, so the
    first frame shown is the connector's."""
    if error is None:
        return None
    exception = traceback.TracebackException.from_exception(error)
    kept = [frame for frame in exception.stack if not frame.filename.startswith(_OUR_FILES)]
    exception.stack = traceback.StackSummary.from_list(kept)
    return "".join(exception.format()).rstrip()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _positions(recording: Recording) -> dict[str, int]:
    """doc_id -> its first position in a run (documents and unchanged markers)."""
    found: dict[str, int] = {}
    for item in recording.items:
        if item.kind in (DOCUMENT, UNCHANGED) and item.doc_id is not None:
            found.setdefault(item.doc_id, item.position)
    return found


def _store_difference(
    expected: Digests, actual: Digests, run: str, positions: dict[str, int]
) -> tuple[list[Evidence], int]:
    """Evidence of how ``actual`` differs from the full read's store; and how many
    documents differ."""
    missing = [key for key in expected if key not in actual]
    extra = [key for key in actual if key not in expected]
    changed = [key for key in expected if key in actual and actual[key] != expected[key]]
    evidence: list[Evidence] = []
    for _source, doc_id in missing:
        where = positions.get(doc_id)
        at = f" (item {where} of the full read)" if where else ""
        evidence.append(Evidence(f"{doc_id!r} is missing{at}", run=run, doc_ids=(doc_id,)))
    for _source, doc_id in extra:
        evidence.append(
            Evidence(f"{doc_id!r} is stored but not in the full read", run=run, doc_ids=(doc_id,))
        )
    for _source, doc_id in changed:
        evidence.append(
            Evidence(f"{doc_id!r} differs from the full read's copy", run=run, doc_ids=(doc_id,))
        )
    return evidence, len(missing) + len(extra) + len(changed)


def _once_each(found: Iterable[Evidence], runs: int) -> list[Evidence]:
    """One entry per distinct finding, the first run's, saying in how many runs it was
    seen (the same mistake repeats in every run of a check)."""
    first: dict[str, Evidence] = {}
    seen: dict[str, set[str | None]] = {}
    for evidence in found:
        first.setdefault(evidence.text, evidence)
        seen.setdefault(evidence.text, set()).add(evidence.run)
    grouped = []
    for text, evidence in first.items():
        count = len(seen[text])
        suffix = f" (in {count} of {runs} runs)" if count > 1 else ""
        grouped.append(
            Evidence(
                text + suffix,
                run=evidence.run,
                position=evidence.position,
                doc_ids=evidence.doc_ids,
                cursor=evidence.cursor,
                detail=evidence.detail,
            )
        )
    return grouped


def _run_failure(outcome: RunOutcome, what: str, cursor: str | None = None) -> Evidence:
    return Evidence(
        f"{what}: {outcome.describe_error()}",
        run=outcome.label,
        position=outcome.recording.error_position,
        cursor=cursor,
        detail=connector_traceback(outcome.recording.error or outcome.error),
    )


def _partial(obs: Observations) -> str:
    """Said after a pass judged on the output of a full read that failed part-way."""
    return "" if obs.full.succeeded else " (in what the failed full read yielded)"


def _not_comparable(obs: Observations) -> str | None:
    """Why stores cannot be compared, if they cannot."""
    if not obs.full.succeeded:
        return "the full read failed (see full-read)"
    if obs.unstable:
        return "two full reads differ (see stable), so stores cannot be compared"
    if obs.source_changed:
        return (
            "the source changed while the check ran (a last full read differs from the "
            "first, see stable), so stores cannot be compared"
        )
    return None


# -- the checks ------------------------------------------------------------------------------


def full_read(obs: Observations) -> CheckResult:
    full = obs.full
    measurements = {
        "documents": full.recording.documents,
        "stored": len(obs.baseline),
        "seconds": round(full.elapsed, 3),
    }
    if full.succeeded:
        return _passed(
            "full-read",
            f"{_plural(len(obs.baseline), 'document')} stored in {full.elapsed:.2f}s",
            measurements=measurements,
        )
    return _failed(
        "full-read",
        f"the full read failed after {_plural(full.recording.documents, 'document')}: "
        f"{full.describe_error()}",
        [_run_failure(full, "the run failed")],
        measurements=measurements,
    )


def items(obs: Observations) -> CheckResult:
    recording = obs.full.recording
    others = recording.kinds(OTHER)
    counts = {
        "documents": recording.documents,
        "checkpoints": recording.checkpoints,
        "unchanged": recording.unchanged,
        "deleted": recording.deleted,
        "listings": recording.listings,
    }
    if others:
        return _failed(
            "items",
            f"{_plural(len(others), 'item')} neither a Document nor a marker",
            [
                Evidence(
                    f"yielded a {item.type_name}; expected a Document, Checkpoint, Deleted, "
                    "Unchanged or ListingComplete (the engine quarantines it)",
                    run=recording.label,
                    position=item.position,
                )
                for item in others
            ],
            measurements=counts,
            total=len(others),
        )
    if recording.documents == 0:
        why = f" before it failed: {obs.full.describe_error()}" if not obs.full.succeeded else ""
        return _failed(
            "items",
            f"the full read yielded no documents{why}; check needs a source that has some",
            [Evidence(f"{recording.positions} item(s), none a Document", run=recording.label)],
            measurements=counts,
        )
    markers = counts["unchanged"] + counts["deleted"] + counts["listings"]
    return _passed(
        "items",
        f"{_plural(recording.documents, 'document')}, "
        f"{_plural(recording.checkpoints, 'checkpoint')}, {_plural(markers, 'other marker')}"
        + _partial(obs),
        measurements=counts,
    )


def documents_valid(obs: Observations) -> CheckResult:
    rejected = obs.rejected
    if not rejected:
        if obs.full.recording.documents == 0:
            return _not_applicable("documents-valid", "no documents to validate")
        return _passed(
            "documents-valid",
            f"{_plural(obs.full.recording.documents, 'document')} stored, none quarantined"
            + _partial(obs),
        )
    return _failed(
        "documents-valid",
        f"{_plural(len(rejected), 'document')} quarantined by the pipeline",
        [
            Evidence(
                f"rejected {record.doc_id!r}: {record.reason}",
                run="full read",
                position=record.item,
                doc_ids=(record.doc_id,) if record.doc_id else (),
            )
            for record in rejected
        ],
        total=len(rejected),
    )


def ids(obs: Observations) -> CheckResult:
    recording = obs.full.recording
    evidence: list[Evidence] = []
    for item in recording.items:
        if item.kind in (DOCUMENT, DELETED, UNCHANGED) and not item.id_ok:
            what = "document" if item.kind == DOCUMENT else f"{item.kind} marker"
            evidence.append(
                Evidence(
                    f"a {what} with id {item.doc_id!r}: ids must be non-empty strings",
                    run=recording.label,
                    position=item.position,
                )
            )
    first: dict[str, int] = {}
    duplicates = 0
    for item in recording.items:
        if item.kind not in (DOCUMENT, UNCHANGED) or not item.id_ok or item.doc_id is None:
            continue
        seen = first.get(item.doc_id)
        if seen is None:
            first[item.doc_id] = item.position
            continue
        duplicates += 1
        evidence.append(
            Evidence(
                f"{item.doc_id!r} again (first at item {seen}): the store keeps one copy, "
                "so the run's counts and a listing's coverage are off",
                run=recording.label,
                position=item.position,
                doc_ids=(item.doc_id,),
            )
        )
    if evidence:
        bad = len(evidence) - duplicates
        return _failed(
            "ids",
            f"{_plural(bad, 'empty or non-string id')}, {_plural(duplicates, 'duplicate')}",
            evidence,
            total=len(evidence),
        )
    if not first:
        return _not_applicable("ids", "no documents")
    return _passed(
        "ids", f"{_plural(len(first), 'id')}, all non-empty and distinct" + _partial(obs)
    )


def stable(obs: Observations) -> CheckResult:
    repeat = obs.repeat
    if not obs.full.succeeded or repeat is None:
        return _not_applicable("stable", "needs a successful full read (see full-read)")
    if not repeat.succeeded:
        return _failed(
            "stable",
            "a second full read, from scratch, failed where the first succeeded",
            [_run_failure(repeat, "the run failed")],
        )
    note = (
        "if the source changed while the check ran (a live API), run the check again "
        "when it is quiet: the check assumes the source does not change"
    )
    positions = _positions(obs.full.recording)
    comparisons = [(repeat, obs.repeat_digests)]
    if obs.final is not None and obs.final.succeeded:
        comparisons.append((obs.final, obs.final_digests))
    for outcome, digests in comparisons:
        if digests == obs.baseline:
            continue
        evidence, differing = _store_difference(obs.baseline, digests, outcome.label, positions)
        only_first = len([k for k in obs.baseline if k not in digests])
        only_second = len([k for k in digests if k not in obs.baseline])
        changed = differing - only_first - only_second
        if only_first or only_second:
            summary = (
                f"ids differ between two full reads: {only_first} only in the first, "
                f"{only_second} only in the {outcome.label}"
            )
        else:
            summary = (
                f"the content of {_plural(changed, 'document')} differs between two full "
                "reads: every sync would rewrite them (a time of now, a random value, an "
                "unordered collection?)"
            )
        return _failed("stable", summary, evidence, notes=[note], total=differing)
    return _passed("stable", f"two full reads agree on {_plural(len(obs.baseline), 'document')}")


def timestamps(obs: Observations) -> CheckResult:
    recording = obs.full.recording
    naive = [item for item in recording.kinds(DOCUMENT) if item.naive is not None]
    if naive:
        return _failed(
            "timestamps",
            f"{_plural(len(naive), 'document')} with a naive timestamp (no timezone); the "
            "store takes it as UTC, which is wrong wherever the source meant local time",
            [
                Evidence(
                    f"{item.doc_id!r}: timestamp {item.naive.isoformat()} has no timezone; "  # type: ignore[union-attr]
                    "give one (tzinfo=UTC, or the source's offset)",
                    run=recording.label,
                    position=item.position,
                    doc_ids=(item.doc_id,) if item.doc_id else (),
                )
                for item in naive
            ],
            total=len(naive),
        )
    if not recording.documents:
        return _not_applicable("timestamps", "no documents")
    return _passed(
        "timestamps",
        f"every timestamp carries a timezone ({_plural(recording.documents, 'document')})"
        + _partial(obs),
    )


def checkpoints(obs: Observations) -> CheckResult:
    recording = obs.full.recording
    marks = recording.kinds(CHECKPOINT)
    wrong = [m for m in marks if m.cursor is not None and not isinstance(m.cursor, str)]
    with_cursor = [m for m in marks if isinstance(m.cursor, str)]
    after_last = 0
    if with_cursor:
        last = with_cursor[-1].position
        after_last = sum(1 for i in recording.kinds(DOCUMENT) if i.position > last)
    measurements: dict[str, int | float | str | None] = {
        "checkpoints": len(marks),
        "with_cursor": len(with_cursor),
        "documents_after_last": after_last,
    }
    if wrong:
        return _failed(
            "checkpoints",
            f"{_plural(len(wrong), 'cursor')} not a string: the engine stores cursors as "
            "text and fails the run on any other type",
            [
                Evidence(
                    f"Checkpoint cursor is {type(m.cursor).__name__} {m.cursor!r}; encode "
                    "it as a string (json.dumps, str)",
                    run=recording.label,
                    position=m.position,
                )
                for m in wrong
            ],
            measurements=measurements,
            total=len(wrong),
        )
    if not obs.full.succeeded:
        # a connector that checkpoints every 100 documents and failed at the 5th has none yet
        return _not_applicable("checkpoints", "the full read failed (see full-read)")
    if recording.documents and not marks:
        return _failed(
            "checkpoints",
            f"no Checkpoint in {_plural(recording.positions, 'item')}: an interrupted "
            "sync starts over from the beginning",
            [
                Evidence(
                    f"{_plural(recording.documents, 'document')}, 0 checkpoints",
                    run=recording.label,
                )
            ],
            measurements=measurements,
        )
    if recording.documents and not with_cursor:
        return _failed(
            "checkpoints",
            'every Checkpoint has the cursor None ("from the start"): an interrupted '
            "sync starts over from the beginning",
            [Evidence("Checkpoint(None)", run=recording.label, position=m.position) for m in marks],
            measurements=measurements,
            total=len(marks),
        )
    if obs.refused_cursors:
        return _failed(
            "checkpoints",
            f"{_plural(len(obs.refused_cursors), 'cursor')} yielded by the connector but "
            "refused by its own check_cursor: an operator who types one back is turned away",
            [
                Evidence(f"cursor {cursor!r}: {reason}", run=recording.label, position=position)
                for position, cursor, reason in obs.refused_cursors
            ],
            measurements=measurements,
            total=len(obs.refused_cursors),
        )
    notes = []
    if after_last:
        notes.append(
            f"{_plural(after_last, 'document')} after the last checkpoint with a cursor: the "
            "run after a successful one starts at that checkpoint and reads them again "
            "unless it filters by since; ending with a Checkpoint avoids it"
        )
    return _passed(
        "checkpoints",
        f"{_plural(len(marks), 'checkpoint')}, every cursor a string or None",
        measurements=measurements,
        notes=notes,
    )


def resume(obs: Observations) -> CheckResult:
    why = _not_comparable(obs)
    if why:
        return _not_applicable("resume", why)
    if obs.max_resumes == 0:
        return _not_applicable("resume", "skipped (--max-resumes 0)")
    if not obs.checkpoints_resumable:
        return _not_applicable(
            "resume", "no checkpoint with a cursor to resume from (see checkpoints)"
        )
    positions = _positions(obs.full.recording)
    evidence: list[Evidence] = []
    failed = differing = 0
    for trial in obs.resumes:
        found = _resume_problems(trial, obs.baseline, positions)
        if found:
            failed += 1
            evidence.extend(found[0])
            differing += found[1]
    tried = len(obs.resumes)
    sampled = (
        ""
        if tried == obs.checkpoints_resumable
        else f" (an even spread of {obs.checkpoints_resumable})"
    )
    measurements = {"resumes": tried, "checkpoints": obs.checkpoints_resumable, "failed": failed}
    if failed:
        return _failed(
            "resume",
            f"{failed} of {tried} resumes{sampled} do not give the full read's store",
            evidence,
            measurements=measurements,
        )
    return _passed(
        "resume",
        f"resumed from {tried} checkpoint(s){sampled}: each store equals the full read's",
        measurements=measurements,
    )


def _resume_problems(
    trial: ResumeTrial, baseline: Digests, positions: dict[str, int]
) -> tuple[list[Evidence], int] | None:
    cursor = trial.cursor
    if trial.partial.recording.stopped_at is None:
        text = (
            f"the run did not reach checkpoint {trial.number} again "
            f"(it yielded {_plural(trial.partial.recording.checkpoints, 'checkpoint')})"
        )
        if not trial.partial.succeeded:
            text += f": {trial.partial.describe_error()}"
        return [Evidence(text, run=trial.partial.label, cursor=cursor)], 1
    resumed = trial.resumed
    if resumed is None or not resumed.succeeded:
        assert resumed is not None
        return [_run_failure(resumed, f"resuming from cursor {cursor!r} failed", cursor)], 1
    if trial.digests == baseline:
        return None
    evidence, differing = _store_difference(baseline, trial.digests, trial.label, positions)
    head = Evidence(
        f"checkpoint {trial.number} is item {trial.position} of the full read, cursor "
        f"{cursor!r}; the resumed run yielded {_plural(resumed.recording.documents, 'document')}",
        run=trial.label,
        cursor=cursor,
    )
    return [head, *evidence], differing


def cursor_used(obs: Observations) -> CheckResult:
    why = _not_comparable(obs)
    if why:
        return _not_applicable("cursor-used", why)
    trials = [t for t in obs.resumes if t.resumed is not None and t.resumed.succeeded and t.covered]
    if not trials:
        return _not_applicable(
            "cursor-used", "no resume with documents before its checkpoint to judge by"
        )
    covered = redelivered = 0
    evidence: list[Evidence] = []
    whole = 0
    for trial in trials:
        before = set(trial.covered)
        again = trial.resumed.recording.redelivered  # type: ignore[union-attr]
        covered += len(before)
        redelivered += len(again)
        if again >= before:
            whole += 1
            evidence.append(
                Evidence(
                    f"resumed from cursor {trial.cursor!r}, it read all "
                    f"{_plural(len(before), 'document')} the checkpoint covers again",
                    run=trial.label,
                    cursor=trial.cursor,
                    doc_ids=tuple(sorted(before)[:5]),
                )
            )
    measurements = {"covered": covered, "redelivered": redelivered, "resumes": len(trials)}
    listed = obs.lists_source or bool(obs.full.recording.listings)
    if listed:
        return _not_applicable(
            "cursor-used",
            "it lists its whole source every run, so a resume re-announces what its cursor "
            f"covers ({redelivered} of {covered} came back as full documents, the rest as "
            "Unchanged)",
            measurements=measurements,
        )
    if whole == len(trials):
        return _failed(
            "cursor-used",
            "every resume read again everything its checkpoint covered: the cursor is ignored, "
            "so an interrupted sync starts over",
            evidence,
            measurements=measurements,
        )
    notes = []
    if redelivered:
        notes.append(
            f"{redelivered} of {covered} covered documents were delivered again: allowed (at "
            "least once), but each costs a read"
        )
    return _passed(
        "cursor-used",
        f"{len(trials)} resume(s) started at their cursor: {redelivered} of {covered} "
        "documents covered by a checkpoint were read again",
        measurements=measurements,
        notes=notes,
    )


def interrupt(obs: Observations) -> CheckResult:
    why = _not_comparable(obs)
    if why:
        return _not_applicable("interrupt", why)
    if obs.interruptions_skipped:
        return _not_applicable("interrupt", obs.interruptions_skipped[0])
    positions = _positions(obs.full.recording)
    expected = len(obs.baseline)
    net = obs.full.totals.inserted - obs.full.totals.deleted
    evidence: list[Evidence] = []
    failed = 0
    described = []
    for trial in obs.interruptions:
        problems = _interrupt_problems(trial, obs.baseline, expected, net, positions)
        described.append(f"{trial.name} (document {trial.stop.document})")
        if problems:
            failed += 1
            evidence.extend(problems)
    measurements = {
        "scenarios": len(obs.interruptions),
        "batch_size": obs.interrupt_batch_size,
        "failed": failed,
    }
    if failed:
        return _failed(
            "interrupt",
            f"{failed} of {len(obs.interruptions)} interrupted runs did not resume to the full "
            "read's store and counts",
            evidence,
            measurements=measurements,
        )
    return _passed(
        "interrupt",
        f"{'; '.join(described)}: each resumed to the full read's "
        f"{_plural(expected, 'document')}, counts exact (batches of {obs.interrupt_batch_size})",
        measurements=measurements,
    )


def _interrupt_problems(
    trial: InterruptTrial,
    baseline: Digests,
    expected: int,
    net: int,
    positions: dict[str, int],
) -> list[Evidence]:
    partial = trial.partial
    run = partial.label
    if partial.recording.stopped_at is None:
        return [
            Evidence(
                f"the run ended ({partial.status.value}) before document {trial.stop.document}: "
                f"{partial.describe_error()}",
                run=run,
            )
        ]
    if trial.stop.action == "raise":
        if not isinstance(partial.error, InjectedFault):
            return [
                Evidence(
                    f"the run did not fail on the injected error: {partial.describe_error()}",
                    run=run,
                )
            ]
    elif partial.status.value != "cancelled":
        return [
            Evidence(
                f"the run was cancelled but ended {partial.status.value}: "
                f"{partial.describe_error()}",
                run=run,
            )
        ]
    resumed = trial.resumed
    assert resumed is not None
    if not resumed.succeeded:
        return [_run_failure(resumed, "the resume failed")]
    evidence, _ = _store_difference(baseline, trial.digests, resumed.label, positions)
    counted = (partial.totals.inserted + resumed.totals.inserted) - (
        partial.totals.deleted + resumed.totals.deleted
    )
    if trial.items_synced != expected or trial.stored != expected:
        evidence.append(
            Evidence(
                f"items_synced is {trial.items_synced} and the store holds {trial.stored}; "
                f"the full read stored {expected}",
                run=resumed.label,
            )
        )
    if counted != net:
        evidence.append(
            Evidence(
                f"the two runs inserted {partial.totals.inserted + resumed.totals.inserted} "
                f"and deleted {partial.totals.deleted + resumed.totals.deleted} documents; the "
                f"full read's net is {net}",
                run=resumed.label,
            )
        )
    if evidence:
        stopped = Evidence(
            f"stopped at item {partial.recording.stopped_at} with "
            f"{partial.items_synced} stored and cursor {partial.cursor!r}",
            run=run,
            cursor=partial.cursor,
        )
        return [stopped, *evidence]
    return []


def incremental(obs: Observations) -> CheckResult:
    second = obs.second
    if not obs.full.succeeded or second is None:
        return _not_applicable("incremental", "needs a successful full read (see full-read)")
    full = obs.full
    measurements: dict[str, int | float | str | None] = {
        "first_seconds": round(full.elapsed, 3),
        "first_documents": full.recording.documents,
        "first_unchanged": full.recording.unchanged,
        "second_seconds": round(second.elapsed, 3),
        "second_documents": second.recording.documents,
        "second_unchanged": second.recording.unchanged,
        "second_written": second.totals.written,
        "second_deleted": second.totals.deleted,
        "since": second.since.isoformat() if second.since else None,
        "cursor": second.recording.cursor,
    }
    given = f"given since {measurements['since']} and cursor {second.recording.cursor!r}"
    if not second.succeeded:
        return _failed(
            "incremental",
            f"the second run failed: {second.describe_error()}",
            [_run_failure(second, f"{given}, the run failed")],
            measurements=measurements,
        )
    if obs.source_changed:
        return _not_applicable("incremental", _not_comparable(obs) or "", measurements=measurements)
    written, deleted = second.totals.written, second.totals.deleted
    if written or deleted:
        evidence, _ = _store_difference(
            obs.baseline, obs.second_digests, second.label, _positions(full.recording)
        )
        hint = " (see stable)" if obs.unstable else ""
        return _failed(
            "incremental",
            f"the second run changed the store of an unchanged source: "
            f"{second.totals.inserted} inserted, {second.totals.updated} updated, "
            f"{deleted} deleted{hint}",
            [Evidence(given, run=second.label), *evidence],
            measurements=measurements,
        )
    first_docs, second_docs = full.recording.documents, second.recording.documents
    if first_docs and second_docs >= first_docs:
        return _failed(
            "incremental",
            f"the second run read all {_plural(second_docs, 'document')} again: it uses "
            "neither since nor its cursor to skip what it already delivered",
            [
                Evidence(
                    f"{given}, it yielded {_plural(second_docs, 'document')} "
                    f"in {second.elapsed:.2f}s (first run: {first_docs} in {full.elapsed:.2f}s)",
                    run=second.label,
                )
            ],
            measurements=measurements,
        )
    notes = []
    if second_docs:
        notes.append(
            f"it delivered {_plural(second_docs, 'unchanged document')} again (stored as unchanged)"
        )
    return _passed(
        "incremental",
        f"the second run yielded {_plural(second_docs, 'document')} "
        f"({measurements['second_unchanged']} unchanged markers) in {second.elapsed:.2f}s; "
        f"the first {first_docs} in {full.elapsed:.2f}s",
        measurements=measurements,
        notes=notes,
    )


def markers(obs: Observations) -> CheckResult:
    evidence: list[Evidence] = []
    notes: list[str] = []
    count = 0
    unknown_deleted = 0
    for outcome in obs.outcomes:
        recording = outcome.recording
        count += recording.unchanged + recording.deleted + recording.listings
        for item in recording.unknown_unchanged:
            evidence.append(
                Evidence(
                    f"Unchanged({item.doc_id!r}) for a document that is not stored: it is "
                    "counted but never stored; yield the Document",
                    run=recording.label,
                    position=item.position,
                    doc_ids=(item.doc_id,) if item.doc_id else (),
                )
            )
        for item in recording.undeclared_listing:
            evidence.append(
                Evidence(
                    "ListingComplete from a connector without lists_source = True: the engine "
                    "fails the run (declare it on the class)",
                    run=recording.label,
                    position=item.position,
                )
            )
        unknown_deleted += len(recording.unknown_deleted)
    if unknown_deleted:
        notes.append(
            f"{_plural(unknown_deleted, 'Deleted marker')} named a document that was never "
            "stored (harmless for a tombstone the source reports; suspicious otherwise)"
        )
    if obs.lists_source and not obs.full.recording.listings and obs.full.succeeded:
        notes.append(
            "it declares lists_source but its full read yields no ListingComplete: the engine "
            "tracks every id for nothing, and deletions are never swept"
        )
    if evidence:
        grouped = _once_each(evidence, len(obs.outcomes))
        return _failed(
            "markers",
            f"{_plural(len(grouped), 'marker')} about documents that do not exist or "
            "that the engine refuses",
            grouped,
            notes=notes,
            total=len(grouped),
        )
    if not count:
        return _not_applicable(
            "markers", "it yields no Deleted, Unchanged or ListingComplete markers", notes=notes
        )
    return _passed(
        "markers",
        f"{_plural(count, 'marker')} over {_plural(len(obs.outcomes), 'run')}, each about a "
        "stored document",
        notes=notes,
    )


def close(obs: Observations) -> CheckResult:
    found: list[Evidence] = []
    failing: set[str] = set()
    for outcome in obs.outcomes:
        recording = outcome.recording
        problems: list[tuple[str, BaseException | None]] = []
        if recording.close_calls == 0:
            problems.append(("close() was not called", None))
        if recording.close_error is not None:
            problems.append(
                (f"close() raised {describe_error(recording.close_error)}", recording.close_error)
            )
        if recording.iterator_close_error is not None:
            error = recording.iterator_close_error
            problems.append((f"closing its iterator raised {describe_error(error)}", error))
        for text, error in problems:
            failing.add(recording.label)
            found.append(Evidence(text, run=recording.label, detail=connector_traceback(error)))
    runs = len(obs.outcomes)
    if found:
        return _failed(
            "close", f"close() failed after {len(failing)} of {runs} runs", _once_each(found, runs)
        )
    return _passed("close", f"close() was called after each of {runs} runs and returned")


def secrets(obs: Observations) -> CheckResult:
    if not obs.has_secrets:
        return _not_applicable(
            "secrets",
            "no secret parameter is set (parameters named like token, password, secret, key)",
        )
    found: dict[str, Evidence] = {}
    for outcome in obs.outcomes:
        recording = outcome.recording
        for leak in recording.leaks:
            found.setdefault(
                leak.where,
                Evidence(
                    f"a secret value is in {leak.where}",
                    run=recording.label,
                    position=leak.position,
                ),
            )
    for text in _error_leaks(obs):
        found.setdefault(text[0], Evidence(f"a secret value is in {text[0]}", run=text[1]))
    if found:
        return _failed(
            "secrets",
            f"a secret value appears in {_plural(len(found), 'place')} (shown masked)",
            list(found.values()),
            total=len(found),
        )
    return _passed(
        "secrets",
        f"no secret value in the items, cursors or errors of {_plural(len(obs.outcomes), 'run')}",
    )


def _error_leaks(obs: Observations) -> Iterable[tuple[str, str]]:
    scanner = obs.scanner
    for outcome in obs.outcomes:
        recording = outcome.recording
        errors = [
            ("the error it raised", recording.error),
            ("the error close() raised", recording.close_error),
            ("the error its iterator raised on close", recording.iterator_close_error),
        ]
        for what, error in errors:
            if error is None or isinstance(error, InjectedFault):
                continue
            text = "".join(traceback.format_exception(error))
            if scanner.found_in(str(error)):
                yield (f"the message of {what}", recording.label)
            elif scanner.found_in(text):
                yield (f"the traceback of {what}", recording.label)


CHECKS: tuple[Callable[[Observations], CheckResult], ...] = (
    full_read,
    items,
    documents_valid,
    ids,
    stable,
    timestamps,
    checkpoints,
    resume,
    cursor_used,
    interrupt,
    incremental,
    markers,
    close,
    secrets,
)


def judge(obs: Observations) -> tuple[CheckResult, ...]:
    return tuple(check(obs) for check in CHECKS)
