"""Tests of viewer.qt.loader: previews then full frames from worker processes, failures."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless

from tests.fixtures.dicom_files import make_dataset
from viewer.core.pyramid import build_levels
from viewer.dicom.decode import decode_frame, decode_reduced
from viewer.dicom.image import MammoImage
from viewer.qt.decode_pool import decode_pool
from viewer.qt.image_view import ImageView
from viewer.qt.loader import DEATH_REASON, StudyLoader, preview_level
from viewer.qt.prefetch import Prefetcher, studies_after
from viewer.sources.pixel_cache import CacheKey, PixelCache

ROWS, COLS = 600, 520
TIMEOUT_MS = 60_000  # the first test starts the worker processes


def smooth_image(seed: int, rows: int = ROWS, cols: int = COLS) -> np.ndarray:
    """A smooth 12-bit picture with a little noise (compresses like a mammogram)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = 1500 + 900 * np.sin(x / 57.0 + seed) * np.cos(y / 83.0)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 4095).astype(np.uint16)


def mammo_dataset(pixels: np.ndarray, laterality: str = "L", view: str = "CC") -> Dataset:
    return make_dataset(
        pixels,
        study_uid="1.2.3.4",
        ImageLaterality=laterality,
        ViewPosition=view,
        PatientOrientation=["P", "L"] if laterality == "L" else ["A", "R"],
        WindowCenter=1500,
        WindowWidth=2000,
    )


MakeStudy = Callable[..., list[Path]]


@pytest.fixture
def make_study(tmp_path: Path) -> MakeStudy:
    """``make_study(kind, n)``: n files ("j2k" or "raw") of :func:`smooth_image` seeds 0..n-1."""

    def make(kind: str, n: int = 2) -> list[Path]:
        paths = []
        for i in range(n):
            ds = mammo_dataset(smooth_image(i), "LR"[i % 2], ("CC", "MLO")[i // 2 % 2])
            if kind == "j2k":
                ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
            path = tmp_path / f"{kind}{i}.dcm"
            ds.save_as(path, enforce_file_format=True)
            paths.append(path)
        return paths

    return make


class Recorder:
    """The loader's signals in the order they came."""

    def __init__(self, loader: StudyLoader) -> None:
        self.events: list[tuple[Any, ...]] = []
        loader.preview_ready.connect(lambda i, a, lv: self.events.append(("preview", i, a, lv)))
        loader.image_ready.connect(lambda i: self.events.append(("full", i)))
        loader.failed.connect(lambda i, m: self.events.append(("failed", i, m)))
        loader.finished.connect(lambda: self.events.append(("finished",)))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


@pytest.fixture
def loader(qtbot: Any) -> StudyLoader:
    """A loader whose worker processes are up (the pool lives for the session)."""
    loader = StudyLoader()
    assert loader.wait_ready(120.0)
    return loader


def run(qtbot: Any, loader: StudyLoader, images: list[MammoImage], **kw: Any) -> Recorder:
    recorder = Recorder(loader)
    with qtbot.waitSignal(loader.finished, timeout=TIMEOUT_MS):
        loader.load(images, **kw)
    return recorder


class TestStudyLoader:
    """Frames decoded in worker processes arrive as signals on the UI thread."""

    def test_jpeg2000_preview_then_full(self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy) -> None:
        """Each J2K image gets a reduced preview, then its full pixels, then finished."""
        paths = make_study("j2k", 2)
        images = [MammoImage.open(p) for p in paths]
        rec = run(qtbot, loader, images, preview_level=2)
        kinds = [e[0] for e in rec.events]
        assert kinds.count("preview") == 2 and kinds.count("full") == 2
        assert kinds[-1] == "finished" and kinds.count("finished") == 1
        for image in images:
            order = [e[0] for e in rec.events if len(e) > 1 and e[1] is image]
            assert order == ["preview", "full"]
        for _, image, array, level in rec.of("preview"):
            assert level == 2
            assert array.shape == (-(-ROWS // 4), -(-COLS // 4))
            np.testing.assert_array_equal(array, decode_reduced(image.path, 0, 2))
            assert not array.flags.writeable

    def test_full_pixels_equal_a_direct_decode(
        self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy
    ) -> None:
        """Delivered pixels and display levels equal pixels() of a fresh direct decode."""
        paths = make_study("j2k", 2)
        images = [MammoImage.open(p) for p in paths]
        run(qtbot, loader, images, preview_level=2)
        for i, (path, image) in enumerate(zip(paths, images, strict=True)):
            direct = MammoImage.open(path).pixels()
            np.testing.assert_array_equal(image.pixels(), direct)
            np.testing.assert_array_equal(direct, smooth_image(i))
            pyramid = loader.pyramid(image)
            assert pyramid is not None
            expected = build_levels(direct)
            assert len(pyramid.levels) == len(expected)
            for got, want in zip(pyramid.levels, expected, strict=True):
                np.testing.assert_array_equal(got, want)

    def test_uncompressed_has_no_preview(
        self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy
    ) -> None:
        """Uncompressed files come straight at full resolution, pixels intact."""
        paths = make_study("raw", 3)
        images = [MammoImage.open(p) for p in paths]
        rec = run(qtbot, loader, images, preview_level=2)
        assert rec.of("preview") == [] and rec.of("failed") == []
        full = [e[1] for e in rec.of("full")]  # in whatever order the workers finish
        assert len(full) == len(images) and {id(i) for i in full} == {id(i) for i in images}
        for i, image in enumerate(images):
            np.testing.assert_array_equal(image.pixels(), smooth_image(i))
            np.testing.assert_array_equal(image.pixels(), decode_frame(paths[i]))

    def test_bad_file_fails_with_a_message_while_others_load(
        self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy, tmp_path: Path
    ) -> None:
        """A file whose codestream is damaged is reported by name; the others still load."""
        good = make_study("j2k", 2)
        ds = mammo_dataset(smooth_image(5))
        ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(range(256)) * 8])
        ds["PixelData"].VR = "OB"
        bad = tmp_path / "damaged.dcm"
        ds.save_as(bad, enforce_file_format=True)
        images = [MammoImage.open(p) for p in (good[0], bad, good[1])]
        rec = run(qtbot, loader, images, preview_level=2)
        failed = rec.of("failed")
        assert len(failed) == 1 and failed[0][1] is images[1]
        message = failed[0][2]
        assert message.startswith("damaged.dcm: ") and "JPEG 2000" in message
        assert "Traceback" not in message
        full = [e[1] for e in rec.of("full")]
        # two worker processes: the good files may finish in either order
        assert len(full) == 2 and {id(i) for i in full} == {id(images[0]), id(images[2])}

    def test_new_load_cancels_the_previous_one(
        self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy
    ) -> None:
        """Loading another study drops the first one's results: nothing of it is announced."""
        first = [MammoImage.open(p) for p in make_study("raw", 2)]
        second = [MammoImage.open(make_study("j2k", 3)[2])]
        recorder = Recorder(loader)
        with qtbot.waitSignal(loader.finished, timeout=TIMEOUT_MS):
            loader.load(first, preview_level=None)
            loader.load(second, preview_level=None)
        assert {id(e[1]) for e in recorder.events if len(e) > 1} == {id(second[0])}
        qtbot.waitUntil(lambda: not loader._orphans, timeout=TIMEOUT_MS)

    def test_in_memory_image_decoded_here(self, qtbot: Any, loader: StudyLoader) -> None:
        """An image with no file on disk is decoded in this process and still announced."""
        image = MammoImage.from_dataset(mammo_dataset(smooth_image(3)))
        rec = run(qtbot, loader, [image])
        assert [e[0] for e in rec.events] == ["full", "finished"]
        np.testing.assert_array_equal(image.pixels(), smooth_image(3))

    def test_empty_load_finishes(self, qtbot: Any, loader: StudyLoader) -> None:
        """Nothing to load still ends with finished()."""
        with qtbot.waitSignal(loader.finished, timeout=5000):
            loader.load([])


class TestCacheAndCrashes:
    """Reopening from the pixel cache; a dying worker process; prefetching."""

    def test_reopen_reads_the_cache_without_preview(
        self, qtbot: Any, make_study: MakeStudy, tmp_path: Path
    ) -> None:
        """The second open of a J2K study comes from the cache: no preview, the same pixels and levels."""
        cache = PixelCache(tmp_path / "cache")
        loader = StudyLoader(cache=cache)
        assert loader.wait_ready(120.0)
        paths = make_study("j2k", 2)
        first = [MammoImage.open(p) for p in paths]
        assert not any(loader.is_cached(i) for i in first)
        rec = run(qtbot, loader, first, preview_level=2)
        assert len(rec.of("preview")) == 2 and len(rec.of("full")) == 2
        # the workers write the cache after delivering (decode_jobs.store_later)
        qtbot.waitUntil(lambda: all(loader.is_cached(i) for i in first), timeout=30_000)
        assert cache.size_bytes() > 0
        again = [MammoImage.open(p) for p in paths]
        rec = run(qtbot, loader, again, preview_level=2)
        assert rec.of("preview") == [] and len(rec.of("full")) == 2
        for i, image in enumerate(again):
            np.testing.assert_array_equal(image.pixels(), smooth_image(i))
            pyramid = loader.pyramid(image)
            assert pyramid is not None
            for got, want in zip(pyramid.levels, build_levels(smooth_image(i)), strict=True):
                np.testing.assert_array_equal(got, want)

    def test_a_dying_worker_fails_only_its_image(self, qtbot: Any, tmp_path: Path) -> None:
        """A worker killed mid-decode (the out-of-memory killer): only its image fails, by name."""
        loader = StudyLoader(cache=None)
        assert loader.wait_ready(120.0)
        paths = []
        for i, size in enumerate((2000, 300, 300)):
            ds = mammo_dataset(smooth_image(i, size, size))
            ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
            paths.append(tmp_path / f"view{i}.dcm")
            ds.save_as(paths[-1], enforce_file_format=True)
        images = [MammoImage.open(p) for p in paths]
        recorder = Recorder(loader)
        with qtbot.waitSignal(loader.finished, timeout=TIMEOUT_MS):
            loader.load(images, preview_level=None)
            victim = next(j for j in loader._jobs if j.image is images[0])
            pool = decode_pool()
            qtbot.waitUntil(lambda: pool.process_of(victim.token) is not None, timeout=TIMEOUT_MS)
            os.kill(pool.process_of(victim.token) or 0, signal.SIGKILL)
        failed = recorder.of("failed")
        assert [e[1] for e in failed] == [images[0]]
        assert failed[0][2] == f"view0.dcm: {DEATH_REASON}"
        assert {id(e[1]) for e in recorder.of("full")} == {id(images[1]), id(images[2])}
        for i in (1, 2):
            np.testing.assert_array_equal(images[i].pixels(), smooth_image(i, 300, 300))
        rec = run(qtbot, loader, [MammoImage.open(paths[0])], preview_level=None)  # a fresh pool works
        assert rec.of("failed") == [] and len(rec.of("full")) == 1

    def test_prefetch_fills_the_cache_and_delivers_nothing(
        self, qtbot: Any, make_study: MakeStudy, tmp_path: Path
    ) -> None:
        """The next study is decoded into the cache, then opens with no preview; nothing is delivered."""
        cache = PixelCache(tmp_path / "cache")
        paths = make_study("j2k", 2)
        study = tmp_path / "next"
        study.mkdir()
        for p in paths:
            p.rename(study / p.name)
        moved = sorted(study.glob("*.dcm"))
        prefetcher = Prefetcher(cache)
        loader = StudyLoader(cache=cache)
        recorder = Recorder(loader)
        prefetcher.prefetch([study])
        assert prefetcher.wait(120.0)
        assert recorder.events == []  # a prefetch announces nothing to the window
        for p in moved:
            assert cache.contains(CacheKey.of(p, MammoImage.open(p).sop_instance_uid, 0))
        rec = run(qtbot, loader, [MammoImage.open(p) for p in moved], preview_level=2)
        assert rec.of("preview") == [] and len(rec.of("full")) == 2
        prefetcher.prefetch([tmp_path / "missing", study])
        prefetcher.cancel()
        assert prefetcher.pending == [] and recorder.events == rec.events

    def test_studies_after(self) -> None:
        """The folders after the open one, in the worklist's order; none past the end or when unknown."""
        order = [Path("a"), Path("b"), Path("c")]
        assert studies_after(order, Path("a"), 1) == [Path("b")]
        assert studies_after(order, Path("a"), 5) == [Path("b"), Path("c")]
        assert studies_after(order, Path("c"), 1) == []
        assert studies_after(order, Path("x"), 1) == []
        assert studies_after(order, Path("a"), 0) == []


class TestPreviewLevel:
    """The reduction that still gives a pixel per screen pixel."""

    @pytest.mark.parametrize(
        ("shape", "screen", "level"),
        [
            ((5120, 4096), (960, 540), 3),  # 4-up on a 1920x1080 screen
            ((5120, 4096), (1920, 1080), 2),  # one view maximised
            ((600, 520), (2000, 2000), 0),  # small image: no reduction
            ((40000, 40000), (100, 100), 5),  # capped: encoders write 5 levels
        ],
    )
    def test_levels(self, shape: tuple[int, int], screen: tuple[int, int], level: int) -> None:
        """Known cases."""
        assert preview_level(shape, screen) == level


class TestProgressiveView:
    """ImageView shows a preview, then swaps in full pixels keeping what the user did."""

    def test_preview_then_full_keeps_zoom_and_window(
        self, qtbot: Any, loader: StudyLoader, make_study: MakeStudy
    ) -> None:
        """Zoom, pan and a dragged window survive the swap; the picture becomes full-size."""
        path = make_study("j2k", 1)[0]
        image = MammoImage.open(path)
        view = ImageView("LCC")
        qtbot.addWidget(view)
        view.resize(400, 300)
        view.show()
        view.set_loading(image)
        assert view.image is image and view.displayed_image() is None
        assert not view.pixels_ready
        preview = decode_reduced(path, 0, 2)
        view.set_preview(image, preview, 2)
        assert not view.pixels_ready
        shown = view.displayed_image()
        assert shown is not None and shown.shape[0] <= preview.shape[0]
        view.set_zoom(2.0, (260.0, 300.0))
        assert view.voi is not None
        dragged = view.voi.with_window(1800.0, 900.0)
        view.set_voi(dragged)
        state = view.view_state()
        rec = run(qtbot, loader, [image], preview_level=None)
        assert rec.of("full")
        view.set_full(image, loader.pyramid(image))
        assert view.pixels_ready
        assert view.voi is dragged
        assert view.view_state() == pytest.approx(state)
        view.render()
        full = view.displayed_image()
        assert full is not None
        # 2 screen px per image px: level 0, so the crop is at full resolution.
        lut, offset = view.lut, view.lut_offset
        assert lut is not None
        x0 = int(round(view.item.mapRectToParent(view.item.boundingRect()).left() + 0.5))
        y0 = int(round(view.item.mapRectToParent(view.item.boundingRect()).top() + 0.5))
        expected = lut[image.pixels()[y0 : y0 + full.shape[0], x0 : x0 + full.shape[1]] - offset]
        np.testing.assert_array_equal(full, expected)

    def test_provisional_automatic_window_becomes_the_default(
        self, qtbot: Any, loader: StudyLoader, tmp_path: Path
    ) -> None:
        """Without window presets the preview's automatic window gives way to the file's own."""
        ds = mammo_dataset(smooth_image(7))
        del ds.WindowCenter, ds.WindowWidth
        ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
        path = tmp_path / "nowindow.dcm"
        ds.save_as(path, enforce_file_format=True)
        image = MammoImage.open(path)
        view = ImageView("LCC")
        qtbot.addWidget(view)
        view.resize(300, 300)
        view.show()
        view.set_preview(image, decode_reduced(path, 0, 2), 2)
        assert view.voi is not None and view.voi.name == "Auto (tissue)"
        run(qtbot, loader, [image], preview_level=None)
        view.set_full(image, loader.pyramid(image))
        assert view.voi == image.default_voi()
