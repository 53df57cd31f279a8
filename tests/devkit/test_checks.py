"""``check`` over connectors that keep the contract and over ones that each break one
promise: the right check fails, with evidence that points at the defect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncdeck.core.connector import BaseConnector
from syncdeck.core.redaction import secret_values
from syncdeck.devkit.report import CheckReport, Status
from syncdeck.devkit.runner import CheckOptions, run_checks, spread

from . import broken_connectors as broken
from .broken_connectors import Listed, Numbered

ALL_CHECKS = {
    "full-read",
    "items",
    "documents-valid",
    "ids",
    "stable",
    "timestamps",
    "checkpoints",
    "resume",
    "cursor-used",
    "interrupt",
    "incremental",
    "markers",
    "close",
    "secrets",
}


def check(cls: Callable[..., BaseConnector], **params: Any) -> CheckReport:
    """Check ``cls(**params)``; its secrets are those of its secret-named parameters, as
    the registry gives a configured connector."""
    options = params.pop("options", CheckOptions())
    secrets = tuple(secret_values(params))

    def build() -> BaseConnector:
        connector = cls(**params)
        connector.secret_values = secrets
        return connector

    return run_checks(build, type_name=cls.__name__, options=options)


def statuses(report: CheckReport) -> dict[str, Status]:
    return {r.id: r.status for r in report.results}


def failing(report: CheckReport) -> set[str]:
    return {r.id for r in report.results if r.failed}


def evidence(report: CheckReport, check_id: str) -> str:
    result = report.result(check_id)
    return "\n".join([result.summary, *(e.line() for e in result.evidence)])


def test_a_correct_stream_passes_every_applicable_check() -> None:
    report = check(Numbered, count=12, every=3, token="s3cret-token")
    assert {r.id for r in report.results} == ALL_CHECKS
    assert failing(report) == set(), report.render()
    assert report.ok and report.exit_code == 0
    assert statuses(report)["markers"] is Status.NOT_APPLICABLE  # it yields none
    assert statuses(report)["secrets"] is Status.PASSED
    # every checkpoint of a small source is resumed from
    assert report.result("resume").measurements == {"resumes": 4, "checkpoints": 4, "failed": 0}
    assert report.settings["documents"] == 12 and len(report.documents) == 12


def test_a_correct_mirror_passes_and_its_markers_are_checked() -> None:
    report = check(Listed, count=10, every=4)
    assert failing(report) == set(), report.render()
    assert statuses(report)["markers"] is Status.PASSED
    # a listing re-announces what a cursor covers: that is not a cursor ignored
    assert statuses(report)["cursor-used"] is Status.NOT_APPLICABLE
    second = report.result("incremental").measurements
    assert second["second_documents"] == 0 and second["second_unchanged"] == 10


def test_skipping_the_document_after_each_checkpoint_fails_resume_with_the_gap() -> None:
    report = check(broken.SkipsAfterCheckpoint, count=12, every=3)
    assert failing(report) == {"resume", "interrupt"}
    text = evidence(report, "resume")
    assert "3 of 4 resumes do not give the full read's store" in text
    # the first resume: checkpoint 1 is after doc-0003, so doc-0004 is the one lost
    assert "[resume from checkpoint 1] checkpoint 1 is item 4 of the full read, cursor '3'" in text
    assert "'doc-0004' is missing (item 5 of the full read)" in text
    assert report.result("resume").evidence[1].doc_ids == ("doc-0004",)


def test_ids_that_change_between_runs_fail_stable_and_nothing_is_misjudged() -> None:
    report = check(broken.ChangingIds, count=6, every=2)
    assert failing(report) == {"stable"}
    assert "ids differ between two full reads: 6 only in the first, 6 only in the" in evidence(
        report, "stable"
    )
    for dependent in ("resume", "interrupt", "cursor-used"):
        assert statuses(report)[dependent] is Status.NOT_APPLICABLE
        assert "two full reads differ" in report.result(dependent).summary


def test_a_connector_ignoring_its_cursor_fails_cursor_used_and_incremental() -> None:
    report = check(broken.IgnoresCursor, count=9, every=3)
    assert failing(report) == {"cursor-used", "incremental"}
    assert "every resume read again everything its checkpoint covered" in evidence(
        report, "cursor-used"
    )
    assert "resumed from cursor '3', it read all 3 documents the checkpoint covers" in evidence(
        report, "cursor-used"
    )
    assert "the second run read all 9 documents again" in evidence(report, "incremental")
    assert "given since 20" in evidence(report, "incremental")
    assert "and cursor '9', it yielded 9 documents" in evidence(report, "incremental")
    # at least once: the store is still exact after every resume
    assert statuses(report)["resume"] is Status.PASSED


def test_naive_timestamps_fail_timestamps_naming_each_document() -> None:
    report = check(broken.NaiveTimestamps, count=4, every=2)
    assert failing(report) == {"timestamps"}
    text = evidence(report, "timestamps")
    assert "4 documents with a naive timestamp" in text
    assert "[full read, item 1] 'doc-0001': timestamp 2024-03-01T09:01:00 has no timezone" in text


def test_a_connector_that_never_checkpoints_fails_checkpoints() -> None:
    report = check(broken.NeverCheckpoints, count=5)
    assert failing(report) == {"checkpoints", "incremental"}
    assert "no Checkpoint in 5 items: an interrupted sync starts over" in evidence(
        report, "checkpoints"
    )
    assert statuses(report)["resume"] is Status.NOT_APPLICABLE


def test_close_raising_fails_close_in_every_run() -> None:
    report = check(broken.CloseRaises, count=6, every=3)
    assert failing(report) == {"close"}
    runs = report.settings["runs"]
    text = evidence(report, "close")
    assert f"close() failed after {runs} of {runs} runs" in text
    assert f"close() raised OSError: the session was already closed (in {runs} of {runs}" in text
    assert "raise OSError" in (report.result("close").evidence[0].detail or "")


def test_a_token_in_a_cursor_fails_secrets_and_is_masked_everywhere() -> None:
    token = "tok-Zq81-secret"
    report = check(broken.LeaksToken, count=6, every=3, token=token)
    assert failing(report) == {"secrets"}
    assert "[full read, item 4] a secret value is in a checkpoint cursor" in evidence(
        report, "secrets"
    )
    assert token not in report.render() and token not in str(report.to_json())


def test_a_token_in_an_error_message_fails_secrets() -> None:
    token = "tok-Zq81-secret"
    report = check(broken.FailsWithToken, count=3, token=token)
    assert {"full-read", "secrets"} <= failing(report)
    assert "a secret value is in the message of the error it raised" in evidence(report, "secrets")
    full = evidence(report, "full-read")
    assert "RuntimeError: GET https://api.example/items?token=*** returned 500" in full
    assert token not in report.render()


def test_content_that_changes_on_every_read_fails_stable() -> None:
    report = check(broken.TimestampOfNow, count=4, every=2)
    assert "stable" in failing(report)
    assert "the content of 4 documents differs between two full reads" in evidence(report, "stable")


def test_markers_about_documents_that_do_not_exist() -> None:
    stranger = check(broken.UnchangedStranger, count=4, every=2)
    assert "markers" in failing(stranger)
    assert "[full read, item 1] Unchanged('ghost') for a document that is not stored" in evidence(
        stranger, "markers"
    )
    undeclared = check(broken.UndeclaredListing, count=4, every=2)
    assert {"full-read", "markers"} <= failing(undeclared)
    assert "ListingComplete from a connector without lists_source" in evidence(
        undeclared, "markers"
    )
    deletes = check(broken.DeletesStrangers, count=4, every=2)
    assert failing(deletes) == set()  # suspicious, said in a note, not a failure
    assert any("never stored" in note for note in deletes.result("markers").notes)


def test_a_non_string_cursor_fails_checkpoints_and_the_full_read() -> None:
    report = check(broken.IntegerCursor, count=4, every=2)
    assert {"full-read", "checkpoints"} <= failing(report)
    assert "[full read, item 3] Checkpoint cursor is int 2" in evidence(report, "checkpoints")
    assert "TypeError: Checkpoint cursor must be a string" in evidence(report, "full-read")


def test_a_source_growing_during_the_check_is_not_reported_as_lost_documents() -> None:
    """A live source: new documents arrive from the fifth run on. The comparisons that
    would blame the connector do not apply; stable says what happened."""
    broken.Growing.instances[0] = 0
    report = check(broken.Growing, count=6, every=2, grow_after=5)
    assert failing(report) == {"stable"}, report.render()
    assert "only in the last full read" in evidence(report, "stable")
    for dependent in ("resume", "interrupt", "incremental"):
        result = report.result(dependent)
        assert result.status is Status.NOT_APPLICABLE
        assert "the source changed while the check ran" in result.summary


def test_a_large_source_is_resumed_from_an_even_spread_of_checkpoints() -> None:
    report = check(Numbered, count=300, every=10, options=CheckOptions(max_resumes=4))
    assert report.ok, report.render()
    resume = report.result("resume")
    assert resume.measurements == {"resumes": 4, "checkpoints": 30, "failed": 0}
    assert "(an even spread of 30)" in resume.summary
    assert spread(30, 4) == [0, 10, 19, 29] and spread(3, 5) == [0, 1, 2]


def test_the_report_as_json_and_as_a_table() -> None:
    report = check(broken.NaiveTimestamps, count=4, every=2)
    data = report.to_json()
    assert data["schema"] == "syncdeck-check/1" and data["ok"] is False and data["exit_code"] == 1
    assert data["summary"] == {"passed": 11, "failed": 1, "not_applicable": 2}
    assert data["connector"]["class"].endswith("broken_connectors.NaiveTimestamps")
    timestamps = next(c for c in data["checks"] if c["id"] == "timestamps")
    assert timestamps["status"] == "failed"
    assert timestamps["evidence"][0] == {
        "text": "'doc-0001': timestamp 2024-03-01T09:01:00 has no timezone; give one "
        "(tzinfo=UTC, or the source's offset)",
        "run": "full read",
        "position": 1,
        "doc_ids": ["doc-0001"],
        "cursor": None,
        "detail": None,
    }
    table = report.render(width=100)
    assert "  ✗ timestamps " in table and "  ✓ resume " in table
    assert "  \N{EN DASH} markers " in table
    assert "11 passed, 1 failed, 2 not applicable" in table
    assert "FAIL timestamps" in report.render(unicode=False)


def test_check_never_writes_outside_its_scratch_folder(tmp_path: Any) -> None:
    options = CheckOptions(scratch_parent=tmp_path, keep=True)
    report = check(Numbered, count=4, every=2, options=options)
    assert report.scratch is not None and report.scratch.parent == tmp_path
    folders = sorted(p.name for p in report.scratch.iterdir())
    # one workspace per scenario, each with its own store and state database
    assert {"full-read", "second-full-read", "resume-1", "resume-2"} <= set(folders)
    assert len(folders) == 7  # and the three interruptions
    assert all((report.scratch / f / "knowledge.db").is_file() for f in folders)
    removed = check(Numbered, count=4, every=2, options=CheckOptions(scratch_parent=tmp_path))
    assert removed.scratch is None
    assert [p for p in tmp_path.iterdir()] == [report.scratch]


@pytest.mark.parametrize("max_resumes", [0])
def test_max_resumes_zero_skips_resuming(max_resumes: int) -> None:
    report = check(Numbered, count=4, every=2, options=CheckOptions(max_resumes=max_resumes))
    assert report.result("resume").status is Status.NOT_APPLICABLE
    assert report.result("resume").summary == "skipped (--max-resumes 0)"


def test_a_cursor_the_connector_itself_refuses_fails_checkpoints() -> None:
    report = check(broken.RefusesItsCursors, count=6, every=3)
    assert failing(report) == {"checkpoints"}
    text = evidence(report, "checkpoints")
    assert "refused by its own check_cursor" in text
    assert "cursor '3': ValueError: cursor '3' is not valid" in text
