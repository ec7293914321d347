"""The supervised worker process: framing, crashes, hangs past the deadline, restarts with backoff."""

from __future__ import annotations

import io
import logging
import os
import signal
import threading
import time

import pytest

from assistant.workers import (
    SupervisedWorker,
    WorkerCrashed,
    WorkerError,
    WorkerState,
    WorkerTimeout,
    read_frame,
    write_frame,
)


def test_frames_round_trip_and_malformed_ones_are_refused() -> None:
    buf = io.BytesIO()
    write_frame(buf, {"op": "echo", "text": "hi"}, b"\x00\x01")
    write_frame(buf, {"op": "x"})
    buf.seek(0)
    assert read_frame(buf) == ({"op": "echo", "text": "hi"}, b"\x00\x01")
    assert read_frame(buf) == ({"op": "x"}, b"")
    assert read_frame(buf) is None  # end of stream
    with pytest.raises(ValueError, match="too large"):
        read_frame(io.BytesIO(b"\xff\xff\xff\xff\x00\x00\x00\x00"))
    with pytest.raises(ValueError, match="JSON object"):
        read_frame(io.BytesIO(b"\x00\x00\x00\x02\x00\x00\x00\x00[]"))
    assert read_frame(io.BytesIO(b"\x00\x00\x00\x09\x00\x00\x00\x00{")) is None  # cut short


def _worker(**init: object) -> SupervisedWorker:
    return SupervisedWorker("echo", "tests.echo_worker", dict(init), deadline=2.0, backoff=(0.1, 1.0),
                            start_timeout=30).start()


def test_a_worker_serves_calls_and_native_output_reaches_the_log_not_the_protocol(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="assistant.worker.echo")
    w = _worker()
    try:
        assert w.wait(30) and w.status.state is WorkerState.READY
        assert w.call("echo", {"text": "hello"}, b"abc") == ({"ok": True, "text": "hello", "retry": 0, "more": False},
                                                             b"cba")
        assert [h["i"] for h, _ in w.stream("chunks", {"n": 3})] == [0, 1, 2]
        with pytest.raises(WorkerError, match="this call fails"):
            w.call("boom")
        with pytest.raises(WorkerError, match="unknown op"):
            w.call("nonsense")
        assert w.call("echo", {"text": "still here"})[0]["text"] == "still here"
        deadline = time.monotonic() + 5
        while "native-looking noise" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "native-looking noise" in caplog.text and "serving hello" in caplog.text
    finally:
        w.stop()
    assert w.status.state is WorkerState.STOPPED


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_a_worker_killed_mid_call_costs_that_call_and_is_restarted(sig: signal.Signals) -> None:
    seen: list[WorkerState] = []
    w = SupervisedWorker("echo", "tests.echo_worker", {}, deadline=5.0, backoff=(0.1, 1.0),
                         on_status=lambda st: seen.append(st.state)).start()
    try:
        assert w.wait(30)
        pid = w.pid
        assert pid is not None
        threading.Timer(0.3, os.kill, (pid, sig)).start()
        with pytest.raises(WorkerCrashed, match=f"killed by {sig.name}"):
            w.call("slow", {"seconds": 3})
        assert w.wait(30) and w.pid not in (None, pid)
        assert w.status.last_error == "worker-crashed"
        assert w.call("echo", {"text": "back"})[0]["text"] == "back"
        assert w.status.restarts == 1
        assert seen[:3] == [WorkerState.READY, WorkerState.RESTARTING, WorkerState.READY]
    finally:
        w.stop()


def test_a_stopped_worker_trips_the_deadline_is_killed_and_restarted() -> None:
    w = _worker()
    try:
        assert w.wait(30)
        pid = w.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(WorkerTimeout, match="within 2.0 s"):
            w.call("echo", {"text": "anyone?"})
        assert 1.9 < time.monotonic() - started < 10
        assert w.wait(30)
        assert w.status.last_error == "worker-timeout"
        assert w.call("echo", {"text": "awake"})[0]["text"] == "awake"
    finally:
        w.stop()


def test_a_call_while_nobody_is_ready_is_answered_at_once_with_the_reason() -> None:
    w = SupervisedWorker("echo", "tests.echo_worker", {"start_s": 3}, backoff=(0.1, 1.0)).start()
    try:
        started = time.monotonic()
        with pytest.raises(WorkerError, match="starting"):
            w.call("echo", {"text": "too early"})
        assert time.monotonic() - started < 1.0
        assert w.call("echo", {"text": "later"}, wait=30)[0]["text"] == "later"
    finally:
        w.stop()


def test_a_failed_start_is_retried_with_backoff_and_told_it_is_a_retry() -> None:
    w = _worker(fail="once")
    try:
        assert w.wait(30)
        assert w.status.restarts == 1 and w.status.last_error == "worker-start"
        assert w.call("echo", {"text": "x"})[0]["retry"] == 1  # the child knew this start followed a failure
    finally:
        w.stop()


def test_a_start_that_can_never_succeed_fails_for_good() -> None:
    w = _worker(fail="fatal")
    try:
        deadline = time.monotonic() + 30
        while w.status.state is not WorkerState.FAILED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert w.status.state is WorkerState.FAILED and "fail for good" in w.status.detail
        assert not w.wait(0.2)
        with pytest.raises(WorkerError, match="failed"):
            w.call("echo", {"text": "x"})
    finally:
        w.stop()


def test_an_answer_its_caller_stopped_reading_never_reaches_the_next_call() -> None:
    w = _worker()
    try:
        assert w.wait(30)
        frames = w.stream("chunks", {"n": 3, "stream": True})
        assert next(frames)[0]["i"] == 0
        frames.close()  # a barge-in: the rest of that answer is still on its way
        assert w.call("echo", {"text": "next"})[0]["text"] == "next"
    finally:
        w.stop()
