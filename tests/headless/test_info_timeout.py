"""info's decoding child: one that hangs is stopped after the time limit, never waited for."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fixtures.synthetic_study import write_image
from viewer.headless.info import check_decoding, collect


def hang_on_first(path: str) -> str | None:
    """A decoder caught in a loop on files named ``hang*`` (runs in info's child process)."""
    if Path(path).name.startswith("hang"):
        time.sleep(600)
    return None


class TestDecodeTimeout:
    def test_hung_decode_is_stopped_and_named(self, tmp_path: Path) -> None:
        """The hung file reads 'took over 2 s; stopped' within seconds; the file after it is decoded
        by a fresh child (info waited for ever)."""
        write_image(tmp_path, "hang.dcm", "1.2.3", "1.2.3.1", "R", "CC")
        write_image(tmp_path, "next.dcm", "1.2.3", "1.2.3.1", "L", "CC")
        records = collect([str(tmp_path)])
        start = time.monotonic()
        check_decoding(records, timeout_s=2.0, job=hang_on_first)
        assert time.monotonic() - start < 30
        errors = {Path(r["path"]).name: r["error"] for r in records}
        assert "took over 2 s; stopped" in errors["hang.dcm"]
        assert errors["next.dcm"] is None
