"""Tests of viewer.store.study_tree: the annotated studies an export or a tool reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.read_only import make_read_only
from tests.fixtures.synthetic_study import write_study
from viewer.store import session, sidecar
from viewer.store.study_tree import load_studies


class TestFallback:
    def test_read_only_study_reads_its_fallback(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Marks saved to the fallback while the folder was read-only are what is loaded, and said."""
        folder = tmp_path / "cd"
        model = write_study(folder, reader="Ann")  # 6 marks in the folder's own file
        make_read_only(folder, monkeypatch)
        with session.AnnotationStore.open(folder, "Ann", model.study_instance_uid) as store:
            assert store.path != sidecar.sidecar_path(folder, "Ann")
            newer = store.load()
            img = next(i for i in newer.images.values() if i.calcifications and not i.clusters)
            gone = next(iter(img.calcifications))
            newer.remove_calcification(img.key, gone)
            store.save(newer)
        studies, messages = load_studies(folder)
        (study,) = studies
        assert study.sidecar == store.path
        assert study.model.count()[0] == 5
        assert any("read-only" in m and str(store.path) in m for m in messages)
        if os.geteuid() != 0:
            folder.chmod(0o755)

    def test_writable_study_uses_its_own_file(self, tmp_path: Path) -> None:
        """A writable folder's file is used as it is."""
        folder = tmp_path / "s"
        write_study(folder, reader="Ann")
        (study,), messages = load_studies(folder)
        assert study.sidecar == sidecar.sidecar_path(folder, "Ann") and messages == []
