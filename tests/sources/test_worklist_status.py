"""Tests of viewer.sources.worklist_status: status values, their rules and the mirror file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.sources.worklist_index import StatusRecord
from viewer.sources.worklist_status import (
    STATUS_FILE,
    Status,
    StatusFileError,
    is_newer,
    read_status_file,
    reader_key,
    reader_status,
    study_status,
    timestamp,
    write_status_file,
)
from viewer.store.errors import SidecarError


class TestStatus:
    def test_parse_values_and_labels(self) -> None:
        """Values, labels and dashed spellings parse; an unknown word lists the choices."""
        assert Status.parse("in progress") is Status.IN_PROGRESS
        assert Status.parse("In-Progress") is Status.IN_PROGRESS
        assert Status.parse("done") is Status.DONE and Status.IN_PROGRESS.label == "in progress"
        with pytest.raises(ValueError, match="flagged"):
            Status.parse("finished")

    def test_reader_status(self) -> None:
        """An explicit status wins; otherwise marks mean in progress."""
        assert reader_status(None, False) is Status.NEW
        assert reader_status(None, True) is Status.IN_PROGRESS
        assert reader_status(Status.NEW, True) is Status.NEW

    @given(st.lists(st.sampled_from(list(Status)), max_size=5))
    def test_study_status_rules(self, statuses: list[Status]) -> None:
        """Flagged beats all; done only when all done; new only when nobody started."""
        result = study_status(statuses)
        if Status.FLAGGED in statuses:
            assert result is Status.FLAGGED
        elif set(statuses) <= {Status.NEW}:
            assert result is Status.NEW
        elif set(statuses) == {Status.DONE}:
            assert result is Status.DONE
        else:
            assert result is Status.IN_PROGRESS

    def test_times_order(self) -> None:
        """Timestamps order with or without fractions; unreadable counts as oldest."""
        now = timestamp()
        assert now.endswith("Z") and is_newer(now, "2020-01-01T00:00:00Z")
        assert is_newer("2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00Z")
        assert not is_newer("garbage", "2020-01-01T00:00:00Z")
        assert reader_key("Dr. Ann Lee") == "dr-ann-lee"


class TestMirrorFile:
    def test_write_keeps_other_entries(self, tmp_path: Path) -> None:
        """Writing one reader's status keeps the other readers and studies in the file."""
        write_status_file(tmp_path, StatusRecord("1.1", "ann", "Ann", "done", "2024-01-01T00:00:00Z"))
        write_status_file(tmp_path, StatusRecord("1.1", "bo", "Bo", "flagged", "2024-01-02T00:00:00Z"))
        write_status_file(tmp_path, StatusRecord("1.2", "ann", "Ann", "new", "2024-01-03T00:00:00Z"))
        write_status_file(tmp_path, StatusRecord("1.1", "ann", "Ann", "in_progress", "2024-01-04T00:00:00Z"))
        records = sorted(read_status_file(tmp_path / STATUS_FILE), key=lambda r: (r.study_uid, r.reader_key))
        assert [(r.study_uid, r.reader, r.status) for r in records] == [
            ("1.1", "Ann", "in_progress"),
            ("1.1", "Bo", "flagged"),
            ("1.2", "Ann", "new"),
        ]
        assert not list(tmp_path.glob(".*.tmp"))

    def test_unreadable_or_newer_file_left_alone(self, tmp_path: Path) -> None:
        """A broken or newer-version file raises naming it and is not overwritten."""
        path = tmp_path / STATUS_FILE
        record = StatusRecord("1", "a", "a", "done", timestamp())
        for content in (
            "{broken",
            json.dumps({"format": "mammo-viewer study status", "version": 99, "studies": {}}),
        ):
            path.write_text(content)
            with pytest.raises(StatusFileError, match=STATUS_FILE):
                write_status_file(tmp_path, record)
            assert path.read_text() == content

    def test_unknown_statuses_skipped(self, tmp_path: Path) -> None:
        """Entries this version does not understand are ignored, the rest read."""
        (tmp_path / STATUS_FILE).write_text(
            json.dumps(
                {
                    "format": "mammo-viewer study status",
                    "version": 1,
                    "studies": {
                        "1": {"a": {"status": "archived"}, "b": {"status": "done", "reader": "B"}},
                        "2": "junk",
                    },
                }
            )
        )
        [record] = read_status_file(tmp_path / STATUS_FILE)
        assert (record.reader, record.status, record.modified) == ("B", "done", "")

    def test_missing_folder_is_a_sidecar_error(self, tmp_path: Path) -> None:
        """Writing into a folder that is not there fails with the atomic writer's message."""
        with pytest.raises(SidecarError, match="cannot save"):
            write_status_file(tmp_path / "nope", StatusRecord("1", "a", "a", "done", timestamp()))
