"""Tests of viewer.store.safe_names: names from untrusted text, paths kept inside a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.store import safe_names


class TestFileComponent:
    @pytest.mark.parametrize("uid", ["1.2.840.10008.5.1.4.1.1.1.2", "1.2.3", "a-b_c"])
    def test_plain_names_kept(self, uid: str) -> None:
        """Ordinary UIDs and names keep their names."""
        assert safe_names.file_component(uid) == uid

    @pytest.mark.parametrize("text", ["..", ".", "../..", "/etc/passwd", "a/b", "C:\\x", "CON", "", "a\x00b"])
    def test_hostile_text_made_safe(self, text: str) -> None:
        """Separators, dot names, reserved names and empty text become a plain, hashed name."""
        name = safe_names.file_component(text)
        assert name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
        assert len(name) <= safe_names.MAX_COMPONENT and name != text

    @given(st.text(max_size=300), st.text(max_size=300))
    def test_distinct_texts_distinct_names(self, a: str, b: str) -> None:
        """Two different texts never share a name; the same text always gets the same one."""
        if a != b:
            assert safe_names.file_component(a) != safe_names.file_component(b)
        assert safe_names.file_component(a) == safe_names.file_component(a)
        assert len(safe_names.file_component(a).encode()) <= safe_names.MAX_COMPONENT


class TestInside:
    def test_escape_refused(self, tmp_path: Path) -> None:
        """A path that resolves outside the folder is refused, naming both."""
        with pytest.raises(safe_names.UnsafePathError, match="outside the chosen folder"):
            safe_names.inside(tmp_path / "out", tmp_path / "out" / ".." / "x")
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "link").symlink_to(tmp_path)
        with pytest.raises(safe_names.UnsafePathError):
            safe_names.inside(tmp_path / "out", tmp_path / "out" / "link" / "x")
        assert (
            safe_names.inside(tmp_path / "out", tmp_path / "out" / "a" / "b") == tmp_path / "out" / "a" / "b"
        )
