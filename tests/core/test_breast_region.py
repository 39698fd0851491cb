"""Tests of viewer.core.breast_region: what is not tissue is not searched."""

from __future__ import annotations

import numpy as np

from viewer.core.breast_region import breast_region, foreign_objects


def _tissue(shape: tuple[int, int] = (600, 500), seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full(shape, 1000.0) + rng.normal(0, 30, shape)
    img[:, 350:] = 100.0 + rng.normal(0, 5, (shape[0], shape[1] - 350))  # air on the right
    return img.astype(np.float32)


class TestForeignObjects:
    def test_device_and_overlay_removed_calcification_kept(self) -> None:
        """A large bright block and a saturated '+' are foreign; a 0.5 mm bright speck is not."""
        img = _tissue()
        img[40:160, 380:480] = 3800.0  # a biopsy device in the air beside the breast
        img[300:306, 100:160] = 4095.0  # a burned-in marker at the largest value
        img[273:333, 127:133] = 4095.0
        yy, xx = np.mgrid[:600, :500]
        img[(yy - 450) ** 2 + (xx - 200) ** 2 <= 9] = 3500.0  # a calcification
        foreign = foreign_objects(img, (0.1, 0.1))
        assert foreign[100, 430] and foreign[303, 130]
        assert not foreign[450, 200] and not foreign[200, 200]
        region = breast_region(img, (0.1, 0.1), margin_mm=2.0)
        assert region[450, 200] and not region[303, 130] and not region[100, 430]

    def test_dense_tissue_is_tissue(self) -> None:
        """A dense patch twice as bright as the rest stays in the region."""
        img = _tissue()
        img[100:300, 50:250] += 800.0
        region = breast_region(img, (0.1, 0.1), margin_mm=2.0)
        assert region[200:250, 100:200].all()

    def test_image_border_left_out(self) -> None:
        """Nothing within 5 mm of the image border (a scanned film's edge) is searched."""
        img = (1000.0 + np.random.default_rng(2).normal(0, 20, (3000, 2400))).astype(np.float32)
        img[:, 1800:] = 50.0
        region = breast_region(img, (0.07, 0.07), margin_mm=2.0)
        assert not region[:71].any() and not region[:, :71].any() and region[1500, 200]
