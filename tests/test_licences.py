"""Every run-time dependency may be shipped with an MIT program: no GPL or AGPL-only licence."""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from packaging.requirements import Requirement

# A dual-licensed package is fine when one of its licences is; LGPL (Qt for Python) is fine too.
_COPYLEFT = re.compile(r"(?<![L])\bA?GPL|GNU (Affero )?General Public", re.IGNORECASE)
_ALLOWED = re.compile(
    r"MIT|BSD|Apache|ISC|PSF|Python Software|Zlib|MPL|Mozilla|LGPL|Lesser General|Unlicense|HPND|CC0",
    re.IGNORECASE,
)


def _licences(dist: metadata.Distribution) -> list[str]:
    meta: Any = dist.metadata  # an email.message.Message underneath
    found = [meta.get("License-Expression") or "", (meta.get("License") or "").split("\n")[0][:200]]
    found += [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return [text for text in found if text.strip() and text.strip().upper() != "UNKNOWN"]


def _runtime_closure() -> dict[str, metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = ["mammo-viewer"]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency for another platform
        seen[key] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_no_gpl_at_run_time() -> None:
    """No run-time dependency (direct or indirect) is licensed under the GPL or AGPL alone."""
    closure = _runtime_closure()
    assert "pydicom" in closure and "numpy" in closure
    offenders = {}
    for key, dist in closure.items():
        texts = _licences(dist)
        copyleft = [t for t in texts if _COPYLEFT.search(t)]
        if copyleft and not any(_ALLOWED.search(t) for t in texts):
            offenders[key] = texts
    assert not offenders, offenders
    assert "pylibjpeg-libjpeg" not in closure  # GPL-3.0: the JPEG decoders are GDCM and CharLS
