"""The thread that writes annotation files, so that nobody waits for a disk.

One worker thread runs the writes in the order they were asked for (a save asked after an
autosave is written after it). Each job says what it wrote for: the study's generation,
the history's revision and content state, so its outcome is applied only where it belongs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class WriteJob:
    """One write in flight: ``kind`` is "save", "autosave", "close", "send" or "copy"."""

    kind: str
    generation: int
    revision: int
    state: int
    path: Path
    marks: int = 0
    future: Future[Any] = field(default_factory=Future)

    @property
    def error(self) -> str | None:
        """The failure's message once done (``None``: it worked, or is not done)."""
        if not self.future.done() or self.future.cancelled():
            return None
        exc = self.future.exception()
        return None if exc is None else (str(exc) or type(exc).__name__)

    @property
    def exception(self) -> BaseException | None:
        """The failure itself once done (``None``: it worked, or is not done)."""
        if not self.future.done() or self.future.cancelled():
            return None
        return self.future.exception()

    @property
    def result(self) -> Any:
        """What the write returned (e.g. whether a server took it); ``None`` until done."""
        if not self.future.done() or self.future.cancelled() or self.future.exception() is not None:
            return None
        return self.future.result()


class AnnotationWriter:
    """A single writer thread; :meth:`submit` never blocks, :meth:`flush` waits."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mammo-annotation-writer")
        # the pool starts its thread on the first submit, and waits for it to run: ~10 ms
        # that would otherwise fall on the first save of the session, on the UI thread
        self._pool.submit(int)
        self._last: Future[None] | None = None

    def submit(self, job: WriteJob, work: Callable[[], object]) -> WriteJob:
        """Run ``work`` after every write asked for before; its outcome goes to ``job.future``."""

        def run() -> None:
            if not job.future.set_running_or_notify_cancel():
                return
            try:
                result = work()
            except BaseException as exc:  # reported through the future, never lost
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

        self._last = self._pool.submit(run)
        return job

    def flush(self, timeout_s: float | None = 10.0) -> bool:
        """Wait until every write asked for so far is done; False on timeout."""
        last = self._last
        if last is None:
            return True
        try:
            last.result(timeout=timeout_s)
        except FutureTimeout:
            return False
        except Exception:
            return True
        return True

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Finish the queued writes (up to ``timeout_s``) and end the thread."""
        done = self.flush(timeout_s)
        with contextlib.suppress(RuntimeError):
            self._pool.shutdown(wait=done, cancel_futures=not done)
        return done
