"""``carvoice batch``: JSON Lines in, one result line per request out (../shared/spec/batch-contract.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from assistant.config import Settings
from assistant.domain import Seat
from assistant.pipeline import InteractionResult, Request, Session
from assistant.errors import CarvoiceError
from assistant.runtime import Car, SpeechEngines, build_pipeline, build_understanding, open_car
from assistant.speech.audio import read_audio
from assistant.understanding.context import DialogueContext
from vehicle.errors import VehicleError
from vehicle.signals import VssValue

_LOG = logging.getLogger(__name__)

MAX_LINE = 1 << 20
"""Longest request line accepted, in characters."""

MAX_LIVE_SESSIONS = 32
"""Sessions whose simulated car stays running; older ones are parked and resumed from a snapshot."""


class BatchRequest(BaseModel):
    """One request line."""

    model_config = ConfigDict(extra="ignore")

    id: Any = None
    text: str | None = None
    audio: str | None = None
    seat: Seat = "driver"
    session: str | None = None
    init: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_input(self) -> BatchRequest:
        if (self.text is None) == (self.audio is None):
            raise ValueError("give exactly one of text and audio")
        return self


def error_line(request_id: Any, code: str, message: str, started: float) -> dict[str, Any]:
    """A result line for a request that could not be served."""
    return {
        "id": request_id, "transcript": None, "calls": [], "changes": {}, "reply": "Sorry, I couldn't do that.",
        "error": {"code": code, "message": message},
        "ms": {"stt": None, "understand": None, "vehicle": None, "tts": None,
               "total": round((time.perf_counter() - started) * 1000, 2)},
        "source": "none",
    }


@dataclass
class _Parked:
    snapshot: dict[str, VssValue]
    context: DialogueContext


class BatchRunner:
    """Runs request lines against the built-in simulator, one fresh car per new session."""

    def __init__(self, settings: Settings, *, speech: bool = True) -> None:
        self.settings = settings
        self.speech = speech
        self.speech_engines = SpeechEngines(settings)
        self.pipeline = build_pipeline(settings, build_understanding(settings), self.speech_engines)
        if speech:
            threading.Thread(target=self.speech_engines.warm, kwargs={"stt": False}, daemon=True).start()
        self._live: OrderedDict[str, tuple[Car, Session]] = OrderedDict()
        self.last_source = "none"
        """Which understanding path served the last line (for the bench)."""
        self._parked: dict[str, _Parked] = {}

    async def close(self) -> None:
        """Stop every simulated car."""
        for car, _ in self._live.values():
            await car.close()
        self._live.clear()
        self.pipeline.understanding.close()
        self.speech_engines.close()

    async def handle_line(self, line: str) -> dict[str, Any]:
        """One request line -> one result line (never raises)."""
        started = time.perf_counter()
        if len(line) > MAX_LINE:
            return error_line(None, "bad-request", f"line longer than {MAX_LINE} characters", started)
        try:
            raw = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            return error_line(None, "bad-request", f"not JSON: {err}", started)
        if not isinstance(raw, dict):
            return error_line(None, "bad-request", "a request line is a JSON object", started)
        request_id = raw.get("id")
        try:
            req = BatchRequest.model_validate(raw)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            return error_line(request_id, "bad-request", f"{where}: {first['msg']}", started)
        try:
            return await self._serve(req, started)
        except VehicleError as err:
            return error_line(request_id, err.code, str(err), started)
        except Exception as err:  # noqa: BLE001 - one bad line must not end the batch
            _LOG.exception("request %r failed", request_id)
            return error_line(request_id, "internal", f"{type(err).__name__}: {err}", started)

    async def _serve(self, req: BatchRequest, started: float) -> dict[str, Any]:
        self.last_source = "none"
        car, session, fresh = await self._session(req)
        try:
            interaction = str(req.id) if req.id is not None else None
            if req.audio is not None:
                try:
                    audio = await asyncio.to_thread(read_audio, req.audio)
                except CarvoiceError as err:
                    return error_line(req.id, err.code, str(err), started)
                request = Request(req.seat, audio=audio, interaction=interaction)
            else:
                request = Request(req.seat, text=req.text, interaction=interaction)
            result: InteractionResult = await self.pipeline.handle(session, request, speak=self.speech)
            self.last_source = str(result.source)
            result.ms["total"] = (time.perf_counter() - started) * 1000
            return {"id": req.id, **result.as_line()}
        finally:
            if fresh:
                await car.close()

    async def _session(self, req: BatchRequest) -> tuple[Car, Session, bool]:
        if req.session is None:
            car = await open_car(self.settings, req.init)
            return car, Session(car.gateway), True
        if req.session in self._live:
            self._live.move_to_end(req.session)
            car, session = self._live[req.session]
            return car, session, False
        parked = self._parked.pop(req.session, None)
        initial = parked.snapshot if parked else req.init
        car = await open_car(self.settings, initial)
        session = Session(car.gateway, parked.context if parked else DialogueContext())
        self._live[req.session] = (car, session)
        while len(self._live) > MAX_LIVE_SESSIONS:
            name, (old_car, old_session) = self._live.popitem(last=False)
            assert old_car.simulator is not None
            self._parked[name] = _Parked(old_car.simulator.snapshot(), old_session.context)
            await old_car.close()
        return car, session, False


async def run_batch(settings: Settings, stdin: TextIO, stdout: TextIO, *, speech: bool = True) -> int:
    """Answer every line of ``stdin`` on ``stdout``, in order, flushed after each."""
    runner = BatchRunner(settings, speech=speech)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            result = await runner.handle_line(line)
            stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            stdout.flush()
    finally:
        await runner.close()
    return 0


def main_batch(settings: Settings, *, speech: bool) -> int:
    """Entry point of ``carvoice batch``."""
    if settings.vehicle.interface != "embedded":
        print("carvoice batch: runs on the built-in simulator; vehicle.interface must be 'embedded'", file=sys.stderr)
        return 2
    u = settings.understanding
    if u.mode != "parser-only" and not u.model_path.exists():
        print(f"carvoice batch: model {u.model_path} is missing (run: make models)", file=sys.stderr)
        return 2
    # Result lines get a private copy of stdout; whatever native libraries print to fd 1
    # (llama.cpp, CTranslate2, ffmpeg) goes to stderr instead of corrupting the JSON stream.
    sys.stdout.flush()
    results = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        return asyncio.run(run_batch(settings, sys.stdin, results, speech=speech))
    finally:
        results.flush()
