"""A large native JSON bank read in a worker process: a second core reads, validates and
serialises its items (``native_stream``) while the importing process only writes them.

``Feed`` hands out the same batches either way; small files are read in the importing process.
"""

from __future__ import annotations

import pickle
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from certprep.banks.native_stream import Layout, NativeJsonStream, Row, prepare
from certprep.core.models import BankHeader, Case
from certprep.core.problems import InputError, Problem


class WorkerStopped(RuntimeError):
    """The worker process ended without finishing (it could not start, or it failed): the
    importer reads the file in its own process instead."""


WORKER_MIN_BYTES = 16 * 1024 * 1024  # smaller files are read in the importing process


class Feed:
    """A native JSON bank's header, cases and rows (``prepare``'d batches), read, validated
    and serialised in a worker process for a large file, so that this process only writes
    (a second core does the other half), or in this process for a small one. Problems come
    as from ``NativeJsonStream``: InputError and Layout raised, a batch's problems with it."""

    def __init__(self, path: Path, *, worker: bool | None = None) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.items_seen = 0
        self.read_bytes = 0
        self._checksum = ""
        self._stream: NativeJsonStream | None = None
        self._proc: Any = None
        self._recv: Any = None
        if worker is None:
            worker = self.size >= WORKER_MIN_BYTES
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._stop = threading.Event()
        if worker:
            try:
                self._proc = _start_worker(path)
            except OSError:
                self._proc = None
        if self._proc is None:
            self._stream = NativeJsonStream(path)
        else:  # a few batches taken off the pipe while this process writes the last
            threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        """Frames off the pipe as bytes, unpickled by the writer: this thread barely holds the
        GIL (a read releases it), so the writer's SQLite calls, which release it a row at a
        time, get it straight back."""
        out = self._proc.stdout
        while not self._stop.is_set():
            head = out.read(8)
            frame = out.read(int.from_bytes(head, "little")) if len(head) == 8 else None
            while not self._stop.is_set():
                try:
                    self._queue.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if frame is None:
                return

    def _get(self) -> tuple[Any, ...]:
        frame = self._queue.get()
        if frame is None:
            raise WorkerStopped("the bank file's reader process stopped")
        msg: tuple[Any, ...] = pickle.loads(frame)
        if msg[0] == "error":
            raise InputError(msg[1])
        if msg[0] == "layout":
            raise Layout(msg[1])
        if msg[0] == "crash":
            raise WorkerStopped(f"the bank file's reader process failed:\n{msg[1]}")
        return msg

    def open(self) -> tuple[BankHeader, list[Case]]:
        if self._stream is not None:
            self._stream.open()
            assert self._stream.header is not None
            return self._stream.header, self._stream.cases
        _, header, cases = self._get()
        return header, cases

    def batches(self) -> Iterator[tuple[list[Row], list[Problem]]]:
        stream = self._stream
        if stream is not None:
            for items, problems in stream.batches():
                self.items_seen, self.read_bytes = stream.items_seen, stream.read_bytes
                yield [prepare(it, it.id) for it in items], problems
            self._checksum = stream.checksum()
            return
        while True:
            msg = self._get()
            if msg[0] == "end":
                self._checksum = msg[1]
                return
            _, rows, problems, self.items_seen, self.read_bytes = msg
            yield list(map(Row._make, rows)), problems

    def checksum(self) -> str:
        """The file's SHA-256, once every batch was taken."""
        return self._checksum

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._proc is not None:
            self._stop.set()
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.stdout.close()
            self._proc.wait()


def _start_worker(path: Path) -> Any:
    """``python -m certprep.banks.native_worker FILE``: pickled messages on its stdout, each
    after its length in 8 bytes (our own child's, the one reader of them). A module run, not
    multiprocessing's spawn, which would import the caller's main script again."""
    import os
    import subprocess
    import sys

    import certprep

    root = str(Path(certprep.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "certprep.banks.native_worker", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _produce(path: str, out: Any) -> None:
    """The worker process: the stream's batches as rows, sent as they are ready (the pipe's
    small buffer keeps it at most about a batch ahead of the writer)."""
    import traceback

    def send(msg: tuple[Any, ...]) -> None:
        frame = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(frame).to_bytes(8, "little"))
        out.write(frame)
        out.flush()

    stream = NativeJsonStream(Path(path))
    try:
        stream.open()
        send(("head", stream.header, stream.cases))
        for items, problems in stream.batches():
            # plain tuples: pickled in half the time of named ones (made Rows again there)
            rows = [tuple(prepare(it, it.id)) for it in items]
            send(("rows", rows, problems, stream.items_seen, stream.read_bytes))
        send(("end", stream.checksum()))
    except InputError as exc:
        send(("error", exc.problems))
    except Layout as exc:
        send(("layout", str(exc)))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the importer stopped reading (a problem, or the learner's Ctrl-C)
    except Exception:
        send(("crash", traceback.format_exc()))
    finally:
        stream.close()


if __name__ == "__main__":
    import gc
    import sys

    # the module by its own name, so what is pickled names it (not __main__)
    from certprep.banks.native_worker import _produce as produce

    gc.disable()  # (as the importer: many small objects, freed by reference counts)
    produce(sys.argv[1], sys.stdout.buffer)
