"""A small engine for the supervisor's own tests: ``python -m tests.echo_worker``."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

from assistant.workers import FatalSetupError, Handler, serve


def setup(init: dict[str, Any]) -> dict[str, Handler]:
    if init.get("fail") == "fatal":
        raise FatalSetupError("told to fail for good")
    if init.get("fail") == "once" and init.get("retry", 0) == 0:
        raise RuntimeError("told to fail the first start")
    print("echo engine: native-looking noise on stdout", flush=True)  # must not corrupt the protocol
    time.sleep(float(init.get("start_s", 0)))

    def echo(header: dict[str, Any], blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        print("echo engine: serving", header.get("text"), flush=True)
        yield {"text": header.get("text"), "retry": init.get("retry", 0)}, blob[::-1]

    def slow(header: dict[str, Any], _blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        time.sleep(float(header["seconds"]))
        yield {"slept": header["seconds"]}, b""

    def chunks(header: dict[str, Any], _blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        for i in range(int(header["n"])):
            yield {"i": i}, bytes([i])

    def boom(_header: dict[str, Any], _blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        raise ValueError("this call fails, the worker goes on")
        yield {}, b""

    return {"echo": echo, "slow": slow, "chunks": chunks, "boom": boom}


if __name__ == "__main__":
    sys.exit(serve(setup))
