"""The held-out half of ``certprep optimize`` in a second process, for a large SQLite log.

fsrs-rs fits on one core and holds the interpreter while it does. So that a second core is not
idle, a worker process reads the whole log itself, builds the items of the newest reviews (the
test part) and scores the current parameters on them while the optimizing process builds the
training items and fits; then it scores the fitted parameters. The items are the ones the
optimizing process would have built (``core.optimize.histories`` with ``make_from``): the
result is the same to the digit, and the optimizing process does it all itself when there is no
worker (a small log, another database, a worker that cannot start or fails).

The two talk in JSON lines: the job (database, learner, zone, the cut, current parameters) on
the worker's stdin; its counts and the current parameters' score on its stdout; the fitted
parameters on its stdin; their score on its stdout.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import IO, Any

# the history the scheduler acted on: review ratings, exam answers (see review.exam_answers)
# and reviews carried over from Anki
SOURCES = ("review", "exam", "import")
BATCH = 50_000
# SQLite reads each row's second with unixepoch() where it has it (3.38+: twice as fast as
# strftime('%s'), the same whole second for every stored time), through its own cursor
_EPOCH = (
    "unixepoch(reviewed_at)"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%s', reviewed_at) AS INTEGER)"
)
_WHERE = f"WHERE learner_id = ? AND source IN ({', '.join('?' * len(SOURCES))})"
SQLITE_LOG = f"SELECT item_id, {_EPOCH}, rating FROM review_log {_WHERE} ORDER BY reviewed_at, id"
SQLITE_LOG_HEAD = SQLITE_LOG + " LIMIT ?"


def free_core(loadavg: str = "/proc/loadavg") -> bool:
    """Whether a core is idle now for a second process: more cores this process may use than
    tasks running (this one among them: /proc/loadavg's fourth field). Beside another busy
    program on two cores, the two processes would share one and take longer than one alone.
    Where there is no /proc, a second core is taken to be free."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # (not Linux)
        cpus = os.cpu_count() or 1
    if cpus < 2:
        return False
    try:
        with open(loadavg) as fh:
            running = int(fh.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running < cpus


class WorkerStopped(RuntimeError):
    """The worker ended without answering (it could not start, or it failed): the optimizing
    process does the held-out part itself."""


def sqlite_batches(cur: Any, lid: int, limit: int | None = None) -> Iterator[Sequence[Any]]:
    """The learner's log in time order, ``BATCH`` rows at a time, on a DB-API cursor (all of it,
    or its first ``limit`` rows)."""
    try:
        if limit is None:
            cur.execute(SQLITE_LOG, (lid, *SOURCES))
        else:
            cur.execute(SQLITE_LOG_HEAD, (lid, *SOURCES, limit))
        while batch := cur.fetchmany(BATCH):
            yield batch
    finally:
        cur.close()


class HeldOut:
    """The worker, from the optimizing process's side."""

    def __init__(self, job: dict[str, Any]) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        import certprep

        root = str(Path(certprep.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        try:
            # a module run, not multiprocessing's spawn, which would import the caller's main
            # script again
            self._proc: Any = subprocess.Popen(
                [sys.executable, "-m", "certprep.store.optimize_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
            )
        except OSError as exc:
            raise WorkerStopped(str(exc)) from exc
        self._send(job)

    def _send(self, msg: dict[str, Any]) -> None:
        try:
            self._proc.stdin.write(json.dumps(msg) + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise WorkerStopped(str(exc)) from exc

    def receive(self) -> dict[str, Any]:
        """The worker's next message (a dict); WorkerStopped if it ended instead."""
        line = self._proc.stdout.readline()
        try:
            msg = json.loads(line)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or "crash" in msg:
            raise WorkerStopped((msg or {}).get("crash", "the worker ended"))
        return msg

    def after(self, parameters: list[float]) -> dict[str, Any]:
        """Send the fitted parameters; their score on the held-out items."""
        self._send({"parameters": parameters})
        return self.receive()

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        for pipe in (self._proc.stdin, self._proc.stdout):
            with suppress(OSError):
                pipe.close()
        self._proc.wait()

    def __enter__(self) -> HeldOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _held_out(inp: IO[str], out: IO[str]) -> None:
    """The worker process: the job off ``inp``, the answers on ``out``."""
    from zoneinfo import ZoneInfo

    from certprep.core.optimize import fsrs_histories, score
    from certprep.core.studyday import EpochDays

    def send(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    job = json.loads(inp.readline())
    from pathlib import Path

    # read-only: never a new empty file where the optimizing process's database was
    con = sqlite3.connect(Path(job["db"]).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        days = EpochDays(job["rollover"], ZoneInfo(job["zone"]))
        cur = con.cursor()
        found = fsrs_histories(sqlite_batches(cur, job["learner"]), days, make_from=job["cut"])
    finally:
        con.close()
    counts = {"reviews": found.reviews, "days": found.days, "test": len(found.items)}
    try:
        before = score(job["current"], found.items) if found.items else None
    except ValueError as exc:  # fsrs-rs: NotEnoughData and the like
        send({**counts, "error": str(exc)})
        return
    send({**counts, "before": before})
    asked = inp.readline()
    if not asked:
        return  # (the optimizing process needs no more: too little history, or it failed)
    try:
        send({"after": score(json.loads(asked)["parameters"], found.items)})
    except ValueError as exc:
        send({"error": str(exc)})


if __name__ == "__main__":
    import gc
    import sys
    import traceback

    gc.disable()  # (as the optimizing process: many small objects, freed by reference counts)
    try:
        _held_out(sys.stdin, sys.stdout)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the optimizing process stopped listening
    except Exception:
        print(json.dumps({"crash": traceback.format_exc()}), flush=True)
