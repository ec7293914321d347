"""Native engines in their own processes, supervised: a crash or a hang costs one request.

llama.cpp (and any other native engine) can die of a segfault, be killed for memory, or hang.
In-process, each of those takes the whole assistant down for as long as a restart and a
warm-up take. Here an engine runs in a child process (one engine per process, as wyoming
services are built), spoken to over its stdin/stdout pipes:

- a frame is an 8-byte header (JSON length, binary length, big-endian uint32) followed by a
  JSON object and optional binary data (audio);
- the child's own stdout is moved to its stderr before the engine loads, so whatever native
  code prints never corrupts the protocol; the parent logs the child's stderr at DEBUG;
- the child answers its init message only once it is warm (for the language model: the
  weights loaded and the system prompt evaluated), so "ready" means ready to serve fast;
- every call has a deadline; past it the child is killed (SIGKILL also ends a SIGSTOPped
  one) and the call raises ``WorkerTimeout``; a child that dies mid-call raises
  ``WorkerCrashed``; either way the supervisor restarts it with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any

from assistant.errors import CarvoiceError

_LOG = logging.getLogger(__name__)
_HEADER = struct.Struct(">II")
MAX_FRAME = 64 << 20
"""Largest frame either side accepts (ten minutes of 16 kHz float32 audio fit)."""


class WorkerError(CarvoiceError):
    """A worker could not serve a call."""

    code = "worker-unavailable"


class WorkerCrashed(WorkerError):
    """The worker process died while serving the call."""

    code = "worker-crashed"


class WorkerTimeout(WorkerError):
    """The worker did not answer within the call's deadline (it was killed)."""

    code = "worker-timeout"


class WorkerState(StrEnum):
    """Where a supervised worker stands."""

    STARTING = "starting"
    READY = "ready"
    RESTARTING = "restarting"
    FAILED = "failed"
    STOPPED = "stopped"


# -- framing ---------------------------------------------------------------------------------
_ATOMIC_WRITE = 4096
"""Bytes a write to a pipe with room takes at once (POSIX PIPE_BUF); a request's header is far below it."""


def write_frame(stream: IO[bytes], header: dict[str, Any], blob: bytes = b"") -> None:
    """Send one frame and flush."""
    data = json.dumps(header, separators=(",", ":")).encode()
    stream.write(_HEADER.pack(len(data), len(blob)) + data + blob)
    stream.flush()


def read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """One frame, or None at the end of the stream; ValueError for a malformed one."""
    head = _read_exactly(stream, _HEADER.size)
    if head is None:
        return None
    n_json, n_blob = _HEADER.unpack(head)
    if n_json > MAX_FRAME or n_blob > MAX_FRAME:
        raise ValueError(f"frame too large ({n_json} + {n_blob} bytes)")
    data = _read_exactly(stream, n_json)
    blob = _read_exactly(stream, n_blob) if n_blob else b""
    if data is None or blob is None:
        return None
    header = json.loads(data)
    if not isinstance(header, dict):
        raise ValueError("a frame's header is a JSON object")
    return header, blob


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# -- the parent side ---------------------------------------------------------------------------
@dataclass
class WorkerStatus:
    """What the supervisor knows, for doctor, MQTT and logs."""

    state: WorkerState = WorkerState.STARTING
    since: float = field(default_factory=time.time)
    restarts: int = 0
    last_error: str | None = None
    """Code of the last failure (``worker-crashed``, ``worker-timeout``, ``worker-start``)."""
    detail: str = ""
    ready_seconds: float | None = None
    """How long the last start took until the worker was warm."""
    pid: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"state": str(self.state), "since": round(self.since, 3), "restarts": self.restarts,
                "last_error": self.last_error, "detail": self.detail, "ready_seconds": self.ready_seconds}


class SupervisedWorker:
    """Starts a child ``python -m <module>``, sends it ``init``, serves calls, restarts it when it fails."""

    def __init__(self, name: str, module: str, init: dict[str, Any], *, start_timeout: float = 180.0,
                 deadline: float = 10.0, backoff: tuple[float, float] = (0.5, 30.0),
                 env: dict[str, str] | None = None,
                 on_status: Callable[[WorkerStatus], None] | None = None) -> None:
        self.name = name
        self.module = module
        self.init = init
        self.start_timeout = start_timeout
        self.deadline = deadline
        self.backoff = backoff
        self.env = env or {}
        self.status = WorkerStatus()
        self._on_status = on_status
        self._proc: subprocess.Popen[bytes] | None = None
        self._call_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._failures = 0
        self._start_failures = 0
        self._replies: list[tuple[dict[str, Any], bytes] | None] = []
        self._reply_ready = threading.Condition()
        self._generation = 0
        self._killed_for: str | None = None
        self._unread: int | None = None
        """The generation whose last answer was left unread (a stream its caller stopped reading)."""
        self._log = logging.getLogger(f"assistant.worker.{name}")
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> SupervisedWorker:
        """Start the child in the background (returns at once; ``wait`` blocks until it is warm)."""
        self._thread = threading.Thread(target=self._supervise, name=f"{self.name}-supervisor", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the worker is ready, waiting up to ``timeout`` seconds for it; False at once when it is
        stopped or has failed for good (so that nobody waits out a start that will never come)."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self._ready.is_set():
            if self._stopping.is_set() or self.status.state is WorkerState.FAILED:
                return False
            left = 0.1 if end is None else min(0.1, end - time.monotonic())
            if left <= 0:
                return False
            self._ready.wait(left)
        return True

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def stop(self) -> None:
        """Stop the child and the supervisor (idempotent)."""
        self._stopping.set()
        self._ready.clear()
        proc = self._proc
        if proc is not None:
            _close(proc.stdin)  # the child's loop ends at the end of its input
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._set_status(WorkerState.STOPPED)
        with self._reply_ready:
            self._reply_ready.notify_all()

    def _set_status(self, state: WorkerState, *, error: str | None = None, detail: str = "") -> None:
        with self._state_lock:
            st = self.status
            if st.state is WorkerState.STOPPED and state is not WorkerState.STOPPED:
                return
            st.state, st.since, st.detail = state, time.time(), detail
            if error is not None:
                st.last_error = error
            if state is WorkerState.READY and self._proc is not None:
                st.pid = self._proc.pid
        if state is WorkerState.READY:
            self._log.info("%s worker ready (pid %s, %.1f s)", self.name, st.pid, st.ready_seconds or 0)
        elif state in (WorkerState.RESTARTING, WorkerState.FAILED):
            self._log.warning("%s worker %s: %s", self.name, state, detail)
        if self._on_status is not None:
            try:
                self._on_status(self.status)
            except Exception:  # noqa: BLE001 - a listener's failure must not stop supervision
                _LOG.exception("status listener failed")

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._spawn()
            except WorkerError as err:
                if self._stopping.is_set():
                    self._kill()
                    return
                self._failures += 1
                self._start_failures += 1
                self._kill()
                if self._proc is not None:
                    _close(self._proc.stdin)
                if getattr(err, "fatal", False):
                    self._set_status(WorkerState.FAILED, error="worker-start", detail=str(err))
                    return
                delay = min(self.backoff[1], self.backoff[0] * 2 ** (self._failures - 1))
                self.status.restarts += 1
                self._set_status(WorkerState.RESTARTING, error="worker-start", detail=f"{err}; retry in {delay:.1f} s")
                if self._stopping.wait(delay):
                    return
                continue
            if self._stopping.is_set():  # stop() came while it started: it must not outlive the stop
                self._kill()
                return
            self.status.ready_seconds = round(time.monotonic() - started, 2)
            self._start_failures = 0
            self._ready.set()
            self._set_status(WorkerState.READY)
            proc = self._proc
            assert proc is not None
            proc.wait()  # until it dies, is killed for a deadline, or is stopped
            self._ready.clear()
            _close(proc.stdin)
            if self._stopping.is_set():
                return
            served = time.monotonic() - started
            self._failures = 1 if served > 60 else self._failures + 1
            delay = min(self.backoff[1], self.backoff[0] * 2 ** (self._failures - 1))
            self.status.restarts += 1
            why = _exit_reason(proc.returncode)
            error, self._killed_for = self._killed_for or "worker-crashed", None
            self._set_status(WorkerState.RESTARTING, error=error, detail=f"{why}; restarting in {delay:.1f} s")
            if self._stopping.wait(delay):
                return

    def _spawn(self) -> None:
        env = {**os.environ, **self.env}
        proc = subprocess.Popen([sys.executable, "-m", self.module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, close_fds=True)
        self._proc = proc
        self._generation += 1
        generation = self._generation
        with self._reply_ready:
            self._replies = []
        threading.Thread(target=self._pump_stderr, args=(proc,), name=f"{self.name}-stderr", daemon=True).start()
        threading.Thread(target=self._pump_stdout, args=(proc, generation), name=f"{self.name}-stdout",
                         daemon=True).start()
        assert proc.stdin is not None
        try:
            # "retry": how many starts in a row failed, so that the child can skip what it cached
            write_frame(proc.stdin, {"op": "init", **self.init, "retry": self._start_failures})
        except (OSError, ValueError) as err:  # ValueError: stop() closed its input meanwhile
            raise WorkerError(f"{self.name} worker did not start: {err}") from err
        reply = self._next_reply(generation, self.start_timeout)
        if reply is None:
            raise WorkerError(f"{self.name} worker exited during start ({_exit_reason(proc.poll())})")
        header, _ = reply
        if not header.get("ok"):
            err = WorkerError(f"{self.name} worker failed to start: {header.get('error', 'unknown error')}")
            err.fatal = bool(header.get("fatal"))  # type: ignore[attr-defined]
            raise err

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with _suppress_os():
                proc.kill()
            with _suppress_os():
                proc.wait(5)

    def _pump_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        with proc.stderr:
            for raw in iter(proc.stderr.readline, b""):
                line = raw.decode(errors="replace").rstrip()
                if line:
                    self._log.debug("%s", line)

    def _pump_stdout(self, proc: subprocess.Popen[bytes], generation: int) -> None:
        assert proc.stdout is not None
        with proc.stdout:
            self._pump_frames(proc, generation)

    def _pump_frames(self, proc: subprocess.Popen[bytes], generation: int) -> None:
        assert proc.stdout is not None
        while True:
            try:
                frame = read_frame(proc.stdout)
            except (ValueError, OSError) as err:
                self._log.error("%s worker sent a malformed frame: %s", self.name, err)
                frame = None
                self._kill()
            with self._reply_ready:
                if generation == self._generation:
                    self._replies.append(frame)
                    self._reply_ready.notify_all()
            if frame is None:
                return

    def _next_reply(self, generation: int, timeout: float) -> tuple[dict[str, Any], bytes] | None:
        """The next frame of this child; None when it ended; raises WorkerTimeout."""
        end = time.monotonic() + timeout
        with self._reply_ready:
            while not self._replies:
                left = end - time.monotonic()
                if left <= 0 or self._stopping.is_set() or generation != self._generation:
                    break
                self._reply_ready.wait(left)
            if self._replies:
                return self._replies.pop(0)
        if self._stopping.is_set():
            raise WorkerError(f"{self.name} worker is stopping")
        self._killed_for = "worker-timeout"
        self._ready.clear()
        self._kill()
        raise WorkerTimeout(f"{self.name} worker did not answer within {timeout:.1f} s")

    # -- calls ----------------------------------------------------------------------------------
    def call(self, op: str, payload: dict[str, Any] | None = None, blob: bytes = b"", *,
             deadline: float | None = None, wait: float = 0.0) -> tuple[dict[str, Any], bytes]:
        """One request and its answer (blocking, one at a time).

        Waits up to ``wait`` seconds for a worker that is starting or restarting; raises
        ``WorkerError`` when none is ready, ``WorkerTimeout`` past the deadline (the child is
        killed and restarted), ``WorkerCrashed`` when it died meanwhile.
        """
        frames = list(self.stream(op, payload, blob, deadline=deadline, wait=wait))
        return frames[-1]

    def stream(self, op: str, payload: dict[str, Any] | None = None, blob: bytes = b"", *,
               deadline: float | None = None, wait: float = 0.0) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Like ``call`` for answers in several frames (``"more": true`` on all but the last)."""
        if not self.wait(wait):
            raise WorkerError(f"the {self.name} worker is {self.status.state}"
                              + (f" ({self.status.detail})" if self.status.detail else ""))
        with self._call_lock:
            proc, generation = self._proc, self._generation
            if proc is None or proc.stdin is None or proc.poll() is not None:
                raise WorkerCrashed(f"the {self.name} worker is not running")
            if self._unread == generation:
                self._skip_unread(generation)
            limit = self.deadline if deadline is None else deadline
            end = time.monotonic() + limit
            # a stopped child stops reading: a request larger than the pipe takes at once (audio) would block
            # the write for ever, so the deadline covers the write too; a small one never blocks
            stuck = threading.Event()
            watchdog = threading.Timer(limit, self._write_stuck, (proc, generation, stuck))
            if len(blob) > _ATOMIC_WRITE:
                watchdog.start()
            try:
                write_frame(proc.stdin, {"op": op, **(payload or {})}, blob)
            except OSError as err:
                self._not_ready(generation)
                if stuck.is_set():
                    raise WorkerTimeout(f"{self.name} worker did not take the request within {limit:.1f} s") from err
                raise WorkerCrashed(f"the {self.name} worker is gone: {err}") from err
            finally:
                watchdog.cancel()
            finished = False
            try:
                while True:
                    reply = self._next_reply(generation, max(0.0, end - time.monotonic()))
                    if reply is None:
                        finished = True
                        self._not_ready(generation)
                        raise WorkerCrashed(f"the {self.name} worker died ({_exit_reason(proc.wait())})")
                    header, data = reply
                    if not header.get("ok", True):
                        finished = True
                        raise WorkerError(str(header.get("error", "the worker failed")), code=header.get("code"))
                    if not header.get("more"):
                        finished = True
                    yield header, data
                    if finished:
                        return
            except WorkerTimeout:
                finished = True
                raise
            finally:
                if not finished:  # the caller stopped reading (a barge-in): the next call skips the rest
                    self._unread = generation

    def _skip_unread(self, generation: int) -> None:
        """Read and drop what is left of the answer a caller stopped reading, up to the deadline."""
        self._unread = None
        end = time.monotonic() + self.deadline
        while True:
            reply = self._next_reply(generation, max(0.0, end - time.monotonic()))
            if reply is None:
                self._not_ready(generation)
                raise WorkerCrashed(f"the {self.name} worker died")
            if not reply[0].get("more") or not reply[0].get("ok", True):
                return

    def _write_stuck(self, proc: subprocess.Popen[bytes], generation: int, stuck: threading.Event) -> None:
        stuck.set()
        self._killed_for = "worker-timeout"
        self._not_ready(generation)
        with _suppress_os():
            proc.kill()

    def _not_ready(self, generation: int) -> None:
        """The child of ``generation`` is dead: nobody calls it until the supervisor has restarted it."""
        if generation == self._generation:  # a restarted child may be ready already
            self._ready.clear()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class _suppress_os:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], (OSError, subprocess.TimeoutExpired))  # type: ignore[arg-type]


# -- the child side -----------------------------------------------------------------------------
Handler = Callable[[dict[str, Any], bytes], Iterator[tuple[dict[str, Any], bytes]]]


def _die_with_parent() -> None:
    """Linux: end this child when the parent dies, even by SIGKILL (its pipes would also tell, later)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(0)


class FatalSetupError(Exception):
    """A setup failure that a restart cannot mend (a missing file, a grammar that lost tools)."""


def serve(setup: Callable[[dict[str, Any]], dict[str, Handler]]) -> int:
    """The child's main loop: ``setup(init)`` loads the engine and returns its handlers by op.

    Call it first thing in the child: it moves file descriptor 1 out of the way of native output.
    """
    _die_with_parent()
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever native code prints lands on stderr, which the parent logs
    sys.stdout = sys.stderr
    proto_in = os.fdopen(os.dup(0), "rb")
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
    try:
        first = read_frame(proto_in)
    except ValueError as err:
        write_frame(proto_out, {"ok": False, "error": f"bad init frame: {err}"})
        return 2
    if first is None:
        return 0
    init, _ = first
    try:
        handlers = setup(init)
    except Exception as err:  # noqa: BLE001 - reported to the parent, which decides
        write_frame(proto_out, {"ok": False, "error": f"{type(err).__name__}: {err}",
                                "fatal": isinstance(err, FatalSetupError)})
        return 1
    write_frame(proto_out, {"ok": True, "pid": os.getpid()})
    while True:
        try:
            frame = read_frame(proto_in)
        except ValueError as err:
            write_frame(proto_out, {"ok": False, "error": f"bad frame: {err}", "code": "worker-protocol"})
            continue
        if frame is None:
            return 0
        header, blob = frame
        handler = handlers.get(str(header.get("op")))
        if handler is None:
            write_frame(proto_out, {"ok": False, "error": f"unknown op {header.get('op')!r}", "code": "worker-protocol"})
            continue
        if header.get("stream"):  # each answer frame as soon as it is made, then an empty last one
            try:
                for reply, data in handler(header, blob):
                    write_frame(proto_out, {"ok": True, **reply, "more": True}, data)
            except Exception as err:  # noqa: BLE001 - one failed call is reported, the worker goes on
                write_frame(proto_out, {"ok": False, "error": f"{type(err).__name__}: {err}",
                                        "code": getattr(err, "code", "worker-failed")})
                continue
            write_frame(proto_out, {"ok": True, "more": False, "end": True})
            continue
        try:
            out = list(handler(header, blob))
        except Exception as err:  # noqa: BLE001 - one failed call is reported, the worker goes on
            write_frame(proto_out, {"ok": False, "error": f"{type(err).__name__}: {err}",
                                    "code": getattr(err, "code", "worker-failed")})
            continue
        for i, (reply, data) in enumerate(out):
            write_frame(proto_out, {"ok": True, **reply, "more": i < len(out) - 1}, data)
