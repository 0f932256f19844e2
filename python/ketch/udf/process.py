"""UDFs in worker processes: ``use_process=True``, class UDFs with
``max_concurrency``, and legacy UDFs with ``concurrency`` (Daft runs these
outside the engine's process too).

A :class:`ProcessRunner` is a runner (``runner(arrays, num_rows) -> pa.Array``,
see :mod:`ketch.udf.execution`) that sends each batch to one of at most
``size`` worker processes and returns its answer. Each worker is a fresh
interpreter (``python -m ketch.udf.process``, so the user's script is never
re-run, unlike ``multiprocessing``'s spawn) that receives the UDF once, as
cloudpickle bytes of a function building the in-process runner, and keeps it
— and so the class instance inside it — for every later batch. Batches and
results cross a socket as Arrow IPC streams; rows are never pickled.

Workers start when the first batch needs one, and stop when the runner is
garbage-collected (the plan holding it is dropped) or the interpreter exits.
A worker asked for GPUs gets its own ``CUDA_VISIBLE_DEVICES``: worker ``i``
with ``gpus=k`` takes the ``k`` devices after the first ``i * k`` visible ones
(fractional requests share a device round-robin).

Errors: the UDF's exception comes back with its class and message, and the
worker's traceback as a note; a worker that dies (crash, ``os._exit``) raises
``RuntimeError`` naming the UDF and the exit code, and is replaced on the
next batch.
"""

from __future__ import annotations

import math
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection

import cloudpickle
import pyarrow as pa

from ketch.context import FailedRows


def _to_ipc(arrays: list[pa.Array]) -> pa.Buffer:
    batch = pa.RecordBatch.from_arrays(arrays, names=[str(i) for i in range(len(arrays))])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue()


def _from_ipc(data: bytes) -> list[pa.Array]:
    batch = pa.ipc.open_stream(pa.py_buffer(data)).read_next_batch()
    return list(batch.columns)


def devices_for(index: int, gpus: float, visible: list[str]) -> str | None:
    """The ``CUDA_VISIBLE_DEVICES`` value of worker ``index`` asking for ``gpus``; None when it asks for none."""
    if gpus <= 0 or not visible:
        return None
    if gpus < 1:
        return visible[index % len(visible)]
    k = math.ceil(gpus)
    return ",".join(visible[(index * k + j) % len(visible)] for j in range(k))


def available_gpus() -> int:
    """GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else those ``nvidia-smi -L`` lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def visible_devices() -> list[str]:
    """The GPU ids this process may use (``CUDA_VISIBLE_DEVICES``, else every GPU ``nvidia-smi`` lists)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip()]
    return [str(i) for i in range(available_gpus())]


class _Worker:
    """One worker process and the socket to it."""

    def __init__(self, name: str, payload: bytes, env: dict[str, str]) -> None:
        self.name = name
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ketch.udf.process", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((list(sys.path), payload))
        self.alive = True

    def call(self, arrays: list[pa.Array], n: int) -> pa.Array:
        try:
            self.conn.send(n)
            self.conn.send_bytes(_to_ipc(arrays))
            status, detail = self.conn.recv()
            if status == "ok":
                out = _from_ipc(self.conn.recv_bytes())[0]
        except (EOFError, OSError) as e:
            self.stop()
            raise RuntimeError(
                f"The worker process of user-defined function `{self.name}` exited unexpectedly "
                f"(exit code {self.proc.returncode})"
            ) from e
        if status == "ok":
            for udf, rows in detail.items():
                FailedRows.add(udf, rows)
            return out
        raise cloudpickle.loads(detail)

    def stop(self) -> None:
        self.alive = False
        try:
            self.conn.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _stop_all(workers: list[_Worker]) -> None:
    for w in list(workers):
        w.stop()


class ProcessRunner:
    """A runner that runs ``factory()``'s runner in at most ``size`` worker processes.

    ``factory`` is pickled with cloudpickle now (the caller has checked that it
    can be); each batch borrows an idle worker, or starts one while fewer than
    ``size`` exist, or waits for one.
    """

    def __init__(self, name: str, factory: Callable[[], Callable], size: int, gpus: float = 0) -> None:
        try:
            payload = cloudpickle.dumps(factory)
        except Exception as e:
            raise ValueError(
                f"User-defined function `{name}` must be serializable with cloudpickle to run in a worker "
                f"process: {type(e).__name__}: {e}"
            ) from e
        self._setup(name, payload, size, gpus)

    def __reduce__(self) -> tuple:
        """Pickles as its recipe: the copy starts its own workers where it runs."""
        return (_restore, (self.name, self._payload, self.size, self._gpus))

    def _setup(self, name: str, payload: bytes, size: int, gpus: float) -> None:
        self.name = name
        self.size = max(1, size)
        self._payload = payload
        self._gpus = gpus
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._count = 0  # workers running or starting
        self._started = 0
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    def _start(self, index: int) -> _Worker:
        env = dict(os.environ)
        devices = devices_for(index, self._gpus, visible_devices())
        if devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = devices
        worker = _Worker(self.name, self._payload, env)
        with self._lock:
            self._workers.append(worker)
        return worker

    def _borrow(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            start = self._count < self.size
            if start:
                index, self._started, self._count = self._started, self._started + 1, self._count + 1
        if not start:
            return self._idle.get()
        try:
            return self._start(index)
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def __call__(self, arrays: list[pa.Array], n: int) -> pa.Array:
        worker = self._borrow()
        try:
            return worker.call(arrays, n)
        finally:
            if worker.alive:
                self._idle.put(worker)
            else:
                with self._lock:
                    self._workers.remove(worker)
                    self._count -= 1

    def close(self) -> None:
        """Stops every worker now (they also stop when the runner is collected)."""
        self._finalizer()


def _restore(name: str, payload: bytes, size: int, gpus: float) -> ProcessRunner:
    runner = ProcessRunner.__new__(ProcessRunner)
    runner._setup(name, payload, size, gpus)
    return runner


def _error_payload(e: BaseException) -> bytes:
    note = "Traceback in the UDF worker process:\n" + "".join(traceback.format_exception(e))
    try:
        e.add_note(note)
        return cloudpickle.dumps(e)
    except Exception:
        return cloudpickle.dumps(RuntimeError(f"{type(e).__name__}: {e}\n{note}"))


def serve(fd: int) -> None:
    """The worker's loop: build the runner, then answer batches until the socket closes."""
    conn = Connection(fd)
    path, payload = conn.recv()
    sys.path[:] = path
    runner = None
    while True:
        try:
            n = conn.recv()
            data = conn.recv_bytes()
        except EOFError:
            return
        try:
            if runner is None:
                runner = cloudpickle.loads(payload)()
            out = runner(_from_ipc(data), n)
        except BaseException as e:
            conn.send(("err", _error_payload(e)))
            continue
        conn.send(("ok", FailedRows.take()))
        conn.send_bytes(_to_ipc([out]))


if __name__ == "__main__":
    serve(int(sys.argv[1]))
