"""The application's decoding processes: one pool for opening, one low-priority one for prefetch.

Decoders hold the GIL, so a thread would still freeze the event loop; worker *processes*
(started with ``spawn``: forking a process that runs Qt threads is unsafe) decode instead.

A :class:`ProcessPoolExecutor` fails every job it holds when one of its processes dies
(a decoder crash, the out-of-memory killer). So each job here is wrapped
(:func:`viewer.sources.decode_jobs.run_tracked`) to tell, as it starts, which process runs
it: after a death :meth:`DecodePool.culprits` names the jobs that were running in the dead
process, and the loader fails only those and submits the others again to a fresh pool.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import signal
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication

from viewer.sources.decode_jobs import init_worker, run_tracked

PREFETCH_NICE = 19
"""The prefetch process runs at the lowest priority: the open study's work always goes first."""


def default_workers() -> int:
    """Worker processes to use: one per CPU core, at most four (a study has four views)."""
    return max(1, min(4, os.cpu_count() or 1))


class DecodePool:
    """A pool of decoding processes whose jobs say which process runs them."""

    def __init__(self, workers: int, nice: int = 0) -> None:
        context = multiprocessing.get_context("spawn")
        self.workers = workers
        self._started: Any = context.SimpleQueue()
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=init_worker, initargs=(self._started, nice)
        )
        self._tokens = itertools.count(1)
        self._runs_in: dict[int, int] = {}
        self._processes: dict[int, Any] = {}
        # The executor starts a process per waiting job when none is idle: a short job
        # each starts them all now (they import the decoders while the user picks a study).
        self.warming: list[Future[Any]] = [self._executor.submit(time.sleep, 0.1) for _ in range(workers)]
        self._note_processes()

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> tuple[int, Future[Any]]:
        """Submit ``fn(*args, **kwargs)``; returns its token and future (BrokenProcessPool if broken)."""
        token = next(self._tokens)
        future = self._executor.submit(run_tracked, token, fn, *args, **kwargs)
        self._note_processes()
        return token, future

    def _note_processes(self) -> None:
        processes = getattr(self._executor, "_processes", None) or {}
        self._processes.update(processes)

    def _drain(self) -> None:
        try:
            while not self._started.empty():
                token, pid = self._started.get()
                self._runs_in[int(token)] = int(pid)
        except (OSError, EOFError, ValueError):
            pass

    def process_of(self, token: int) -> int | None:
        """The process id that started job ``token``, if it has started."""
        self._drain()
        return self._runs_in.get(token)

    def dead_processes(self, settle_s: float = 2.0) -> dict[int, int]:
        """``{pid: exit code}`` of processes that died on their own (not stopped by the pool).

        Called once the pool is broken: its processes are all ending (the dead one, and
        the others the pool stops), so this waits up to ``settle_s`` for their exit codes
        (a process's pipes close a moment before its exit code can be read).
        """
        self._note_processes()
        deadline = time.monotonic() + settle_s
        codes: dict[int, int | None] = {}
        while True:
            codes = {pid: process.exitcode for pid, process in self._processes.items()}
            if all(code is not None for code in codes.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        return {
            pid: code for pid, code in codes.items() if code is not None and code not in (0, -signal.SIGTERM)
        }

    def culprits(self, tokens: list[int]) -> set[int]:
        """The ones of ``tokens`` that were running in a process that died."""
        dead = self.dead_processes()
        return {t for t in tokens if self.process_of(t) in dead}

    def pids(self) -> list[int]:
        self._note_processes()
        processes = getattr(self._executor, "_processes", None) or {}
        return [int(pid) for pid in processes]

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._started.close()

    def stop(self, timeout_s: float = 0.5) -> None:
        """End the processes now, running jobs and all (quitting: nothing waits for a decode)."""
        self._note_processes()
        self._executor.shutdown(wait=False, cancel_futures=True)
        processes = list(self._processes.values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + timeout_s
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(0.1)
        self._started.close()


_pools: dict[str, DecodePool] = {}


def decode_pool(workers: int | None = None) -> DecodePool:
    """The application's pool of decoding processes, started (and warmed up) on first use."""
    pool = _pools.get("open")
    if pool is None:
        pool = _pools["open"] = DecodePool(workers or default_workers())
        _quit_with_app()
    return pool


def prefetch_pool() -> DecodePool:
    """One decoding process at the lowest priority, for studies the user has not opened yet."""
    pool = _pools.get("prefetch")
    if pool is None:
        pool = _pools["prefetch"] = DecodePool(1, nice=PREFETCH_NICE)
        _quit_with_app()
    return pool


def _quit_with_app() -> None:
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(stop_decode_processes)  # quitting waits for no decode


def restart_decode_pool() -> None:
    """Forget a broken opening pool (its processes are gone); the next use starts a new one."""
    pool = _pools.pop("open", None)
    if pool is not None:
        pool.shutdown()


def stop_decode_processes(timeout_s: float = 0.5) -> None:
    """End every decoding process at once (the application quits; SIGTERM)."""
    for name in list(_pools):
        pool = _pools.pop(name, None)
        if pool is not None:
            pool.stop(timeout_s)


def shutdown_prefetch_pool() -> None:
    """Stop the prefetch process (a later :func:`prefetch_pool` starts a new one)."""
    pool = _pools.pop("prefetch", None)
    if pool is not None:
        pool.shutdown()


def shutdown_decode_pool() -> None:
    """Stop every decoding process (at exit; a later :func:`decode_pool` starts new ones)."""
    for name in list(_pools):
        pool = _pools.pop(name, None)
        if pool is not None:
            pool.shutdown()


atexit.register(shutdown_decode_pool)
