"""A study's annotation file read off the thread that shows it (issue 16: 10,000 marks).

A 12 MB file of 10,000 marks takes ~0.5-1 s to parse, check against the schema and turn into
the model; the window shows the study at once and its marks when they arrive. What holds:

- **Nothing is applied to another study.** A reading carries the generation of the session
  it was started for; :meth:`viewer.session.study_session.StudySession.marks_read` applies it
  only while that study is still the open one.
- **No mark is lost.** Until the marks arrive the study takes no edit and no save (the store
  refuses to write a file it has not read), an autosave found beside the file is kept for the
  reader to decide on, and closing the study waits for the reading before the lock is let go.
- **A bad file says so.** A corrupt or newer file opens read-only with its message, as when
  it is read on the spot; an unexpected failure of the reading does too.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from viewer.core.annotations import StudyAnnotations
from viewer.store.session import AnnotationStore

BACKGROUND_READ_BYTES = 1 << 20
"""Files at least this large (~800 marks) are read in the background; smaller ones on the spot,
where they take a few tens of milliseconds and the marks come with the study."""


@dataclass
class MarksReading:
    """A reading in flight: the session generation it is for, its store, what it found."""

    generation: int
    store: AnnotationStore
    future: Future[StudyAnnotations | None]
    """Done when the store holds the marks; its result is the newer autosave found, if any."""
    notices_shown: int = 0
    """The store's notices already told when the study opened."""
    go: threading.Event = field(default_factory=threading.Event)
    dropped: bool = False
    """The study was left before the reading began: the file is not read."""

    def begin(self) -> None:
        """Let the reading start (the thread waits for this).

        The window first shows the study: the reading holds the interpreter lock most of
        the time, and running beside the open's own work made both ~2x slower.
        """
        self.go.set()

    def drop(self) -> None:
        """The study is left: a reading not begun yet does not read the file (it stays unread)."""
        self.dropped = True
        self.go.set()

    @property
    def done(self) -> bool:
        return self.future.done()

    def wait(self, timeout_s: float | None = None) -> None:
        """Begin and wait until the reading is over (never raises: a failure makes the store read-only)."""
        self.begin()
        with contextlib.suppress(Exception):
            self.future.result(timeout_s)


def read_marks(store: AnnotationStore) -> StudyAnnotations | None:
    """Read ``store``'s file and its autosave; the autosave's marks when newer than the file's."""
    try:
        store.read()
        return store.recovery() if store.read_only_reason is None else None
    except Exception as exc:  # a fault, never a reason to write over the file
        store.read_only_reason = (
            f"the annotation file {store.path.name} could not be read ({type(exc).__name__}: {exc}); "
            "the study opens read-only for this reader."
        )
        return None


class MarksReader:
    """One thread that reads annotation files, started on the first reading."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None

    def start(self, store: AnnotationStore, generation: int, notices_shown: int = 0) -> MarksReading:
        """Read ``store`` (opened with ``defer_read``) on the reader thread, once it may begin."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mammo-marks-reader")
        reading = MarksReading(generation, store, Future(), notices_shown)

        def run() -> StudyAnnotations | None:
            reading.go.wait()
            return None if reading.dropped else read_marks(store)

        reading.future = self._pool.submit(run)
        return reading

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
