"""``carvoice run``: the head unit's long-running service.

push-to-talk (steering wheel CAN frame, MQTT, console) -> listen -> transcribe -> understand ->
policy -> CAN -> confirmation -> reply audio; one interaction at a time, with barge-in, and
nothing blocking the event loop. Without a microphone it still runs, taking typed commands
from the console and MQTT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import CarvoiceError
from assistant.events import (
    CallsEvent,
    CancelCommand,
    ChangeEvent,
    ErrorEvent,
    Event,
    ListeningEvent,
    PushToTalkCommand,
    RefusalEvent,
    ReplyEvent,
    TextCommand,
    TranscriptEvent,
)
from assistant.mqtt import MqttLink, MqttSettings
from assistant.pipeline import InteractionResult, Pipeline, Session
from assistant.runtime import Car, SpeechEngines, build_places, build_policy, build_understanding, open_car
from assistant.sdnotify import notify, watchdog_interval
from assistant.workers import WorkerStatus
from vehicle.signals import PUSH_TO_TALK
from vehicle.state import StateChange

_LOG = logging.getLogger(__name__)

QUEUE_LIMIT = 16
"""Requests waiting for their turn; more are refused with an error event."""


@dataclass(frozen=True)
class _Text:
    text: str
    seat: str
    id: str | int | None = None


@dataclass(frozen=True)
class _Listen:
    seat: str
    button: bool = False
    """Started by the steering-wheel button, whose release may end the utterance."""


@dataclass(frozen=True)
class _Quit:
    """Stop once the requests before it are served (the console's /quit)."""


class AssistantService:
    """The assistant as a service: owns the car, the engines, MQTT and the interaction queue."""

    def __init__(self, settings: Settings, *, console_out: Callable[[str], None] | None = None,
                 console_in: Any = None) -> None:
        self.settings = settings
        self._console_out = console_out
        self._console_in = console_in
        self._requests: asyncio.Queue[_Text | _Listen | _Quit] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._stop = asyncio.Event()
        self._current: asyncio.Task[None] | None = None
        self.car: Car | None = None
        self.session: Session | None = None
        self.mqtt: MqttLink | None = None
        self.speech = SpeechEngines(settings)
        self._speaker: Any = None
        self._microphone: Any = None
        self._listener: Any = None
        self._ptt_released = threading.Event()
        self.ready = asyncio.Event()
        self.handled = 0
        self.model_status: dict[str, Any] | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Start everything, serve until SIGTERM/SIGINT or ``stop()``, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        s = self.settings
        places = build_places(s)

        def model_status(status: WorkerStatus) -> None:  # called from the model's supervisor thread
            with contextlib.suppress(RuntimeError):  # the loop may be closing
                loop.call_soon_threadsafe(self._publish_model_status, status.as_dict())

        self.pipeline = Pipeline(build_understanding(s, model_wait=s.service.model_wait_s,
                                                     on_model_status=model_status), build_policy(s, places))
        self.car = await open_car(s)
        self.session = Session(self.car.gateway)
        self.car.gateway.state.subscribe(self._on_state_change)
        tasks = [asyncio.create_task(self._serve_requests(), name="interactions")]
        if s.mqtt.enabled:
            self.mqtt = MqttLink(_mqtt_settings(s), self.car.gateway.state.snapshot, self._on_command)
            self.mqtt.publish_status("model", self.model_status or {"state": "off"})
            tasks.append(asyncio.create_task(self.mqtt.run(), name="mqtt"))
        if s.service.console and self._console_in is not None:
            tasks.append(asyncio.create_task(self._read_console(), name="console"))
        interval = watchdog_interval()
        if interval:
            tasks.append(asyncio.create_task(self._watchdog(interval), name="watchdog"))
        self._open_audio()
        loop.run_in_executor(None, self.speech.warm)
        notify("READY=1")
        self.ready.set()
        _LOG.info("carvoice ready (vehicle: %s, mqtt: %s)", self.car.gateway.describe,
                  f"{s.mqtt.host}:{s.mqtt.port}" if s.mqtt.enabled else "off")
        try:
            await self._stop.wait()
        finally:
            notify("STOPPING=1")
            _LOG.info("carvoice stopping")
            if self._speaker is not None:
                self._speaker.stop()
            if self._current is not None:
                self._current.cancel()
            if self.mqtt is not None:
                await self.mqtt.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._microphone is not None:
                self._microphone.stop()
            if self._listener is not None:
                self._listener.close()
            self.pipeline.understanding.close()
            await self.car.close()

    def stop(self) -> None:
        """Ask the service to stop (idempotent)."""
        self._stop.set()

    # -- inputs ------------------------------------------------------------------------------
    def submit(self, request: _Text | _Listen | _Quit) -> bool:
        """Queue a request; False (and an error event) when the queue is full."""
        try:
            self._requests.put_nowait(request)
            return True
        except asyncio.QueueFull:
            self._event(ErrorEvent(code="busy", message="too many requests waiting"))
            return False

    def push_to_talk(self, seat: str = "driver", *, button: bool = False) -> None:
        """Barge-in: stop any reply now, then listen."""
        if self._speaker is not None:
            self._speaker.stop()
        self.submit(_Listen(seat, button))

    async def _on_command(self, name: str, command: BaseModel) -> None:
        if isinstance(command, TextCommand):
            self.submit(_Text(command.text, command.seat, command.id))
        elif isinstance(command, PushToTalkCommand):
            self.push_to_talk(command.seat)
        elif isinstance(command, CancelCommand):
            if self._speaker is not None:
                self._speaker.stop()
            if self._current is not None:
                self._current.cancel()

    def _on_state_change(self, change: StateChange) -> None:
        if change.path == PUSH_TO_TALK:
            if change.new:
                self._ptt_released.clear()
                self.push_to_talk("driver", button=True)
            else:
                self._ptt_released.set()
            return
        if self.mqtt is not None:
            self.mqtt.publish_state(change.path, change.new)
        self._event(ChangeEvent(path=change.path, old=change.old, new=change.new))

    async def _read_console(self) -> None:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def reader() -> None:  # a daemon thread: a shutdown never waits for a blocked readline()
            while True:
                try:
                    line = self._console_in.readline()
                except (OSError, ValueError):
                    line = ""
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if not line:
                    return

        threading.Thread(target=reader, name="console", daemon=True).start()
        seat = "driver"
        while True:
            line = await lines.get()
            if not line:
                return  # end of input: the service keeps running for MQTT and the steering wheel
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                self.submit(_Quit())
                return
            if text.startswith("/seat"):
                wanted = text.split(maxsplit=1)[-1].strip()
                if wanted in ("driver", "passenger", "rear-left", "rear-right"):
                    seat = wanted
                    self._say_console(f"(speaking from the {seat} seat)")
                continue
            if text == "/ptt":
                self.push_to_talk(seat)
                continue
            self.submit(_Text(text, seat))

    # -- interactions --------------------------------------------------------------------------
    async def _serve_requests(self) -> None:
        while True:
            request = await self._requests.get()
            if isinstance(request, _Quit):
                self.stop()
                return
            self._current = asyncio.create_task(self._interact(request))
            # wait() lets a cancelled interaction end quietly while a cancel of this task still stops it
            await asyncio.wait({self._current})
            self._current = None
            self.handled += 1

    async def _interact(self, request: _Text | _Listen) -> None:
        assert self.session is not None
        given = getattr(request, "id", None)
        interaction = str(given) if given is not None else uuid.uuid4().hex[:8]
        try:
            if isinstance(request, _Listen):
                result = await self._listen_and_handle(request.seat, interaction, request.button)
                if result is None:
                    return
            else:
                result = await self.pipeline.handle_text(self.session, request.text, request.seat)
            self._publish_result(result, interaction, request.seat)
            await self._speak(result.reply)
        except CarvoiceError as err:
            _LOG.warning("interaction %s failed: %s", interaction, err)
            self._event(ErrorEvent(code=err.code, message=str(err), interaction=interaction))
        except Exception as err:  # noqa: BLE001 - one broken interaction must not stop the service
            _LOG.exception("interaction %s failed", interaction)
            self._event(ErrorEvent(code="internal", message=f"{type(err).__name__}: {err}", interaction=interaction))

    def _publish_result(self, result: InteractionResult, interaction: str, seat: str) -> None:
        if result.calls:
            self._event(CallsEvent(calls=[c.dump() for c in result.calls], source=str(result.source),
                                   interaction=interaction))
        for step in result.steps:
            if step.refusal:
                self._event(RefusalEvent(reason=step.refusal, interaction=interaction))
        if result.error:
            self._event(ErrorEvent(code=result.error["code"], message=result.error["message"], interaction=interaction))
        self._event(ReplyEvent(text=result.reply, interaction=interaction))
        changes = ", ".join(f"{p} = {v}" for p, v in result.changes.items())
        self._say_console(result.reply + (f"\n  {changes}" if changes else ""))

    async def _listen_and_handle(self, seat: str, interaction: str, button: bool = False) -> InteractionResult | None:
        assert self.session is not None
        if self._microphone is None:
            self._event(ErrorEvent(code="no-microphone", message="no microphone; type or send text instead",
                                   interaction=interaction))
            self._say_console("(no microphone: type your request instead)")
            return None
        self._event(ListeningEvent(state="started", seat=seat, interaction=interaction))
        listener = self._listener
        if listener is None:
            from assistant.speech.listen import Listener

            sp, sv = self.settings.speech, self.settings.service
            listener = self._listener = Listener(self.speech.stt.transcribe, end_silence_s=sp.end_silence_s,
                                                 max_s=sp.max_utterance_s, timeout_s=sv.listen_timeout_s)
        try:
            released = self._ptt_released if button else None
            turn = await asyncio.to_thread(listener.listen, self._microphone, released)
        finally:
            self._event(ListeningEvent(state="stopped", seat=seat, interaction=interaction))
        heard = turn.transcript
        _LOG.info("heard %r %.0f ms after the end of speech (%s)", heard.text, turn.end_to_text_ms,
                  "transcribed from the first pause" if turn.early else "transcribed at the end")
        if heard.text:
            self._event(TranscriptEvent(text=heard.text, seat=seat, interaction=interaction))
        return await self.pipeline.handle_heard(self.session, heard, seat)

    async def _speak(self, text: str) -> None:
        if self._speaker is None and self.settings.speech.save_audio_dir is None:
            return
        try:
            voice = await asyncio.to_thread(self.speech.tts)
        except CarvoiceError as err:
            _LOG.warning("reply not spoken: %s", err)
            return
        if self.settings.speech.save_audio_dir is not None:
            folder = Path(self.settings.speech.save_audio_dir)
            folder.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(voice.to_wav, text, folder / f"reply-{int(time.time() * 1000)}.wav")
        if self._speaker is not None:
            if self._microphone is not None:
                self._microphone.muted = True  # do not listen to ourselves
            try:
                await asyncio.to_thread(self._speaker.play, voice.synthesize(text), voice.sample_rate)
            finally:
                if self._microphone is not None:
                    self._microphone.muted = False

    def _open_audio(self) -> None:
        from assistant.speech.devices import Microphone, Speaker, list_devices

        sp = self.settings.speech
        try:
            devices = list_devices()
        except CarvoiceError as err:
            _LOG.info("no audio devices (%s): text only", err)
            return
        if self.settings.service.speaker and any(d["max_output_channels"] > 0 for d in devices):
            self._speaker = Speaker(sp.output_device)
        if self.settings.service.microphone and any(d["max_input_channels"] > 0 for d in devices):
            try:
                self._microphone = Microphone(sp.input_device).start()
            except CarvoiceError as err:
                _LOG.warning("microphone unavailable: %s", err)

    # -- outputs -------------------------------------------------------------------------------
    def _publish_model_status(self, status: dict[str, Any]) -> None:
        self.model_status = status
        if self.mqtt is not None:
            self.mqtt.publish_status("model", status)

    def _event(self, event: Event) -> None:
        _LOG.debug("event %s", event.model_dump_json())
        if self.mqtt is not None:
            self.mqtt.publish_event(event)

    def _say_console(self, text: str) -> None:
        if self._console_out is not None:
            self._console_out(text)

    async def _watchdog(self, interval: float) -> None:
        while True:
            notify("WATCHDOG=1")
            await asyncio.sleep(interval)


def _mqtt_settings(s: Settings) -> MqttSettings:
    m = s.mqtt
    password = m.password
    if m.password_file is not None:
        password = Path(m.password_file).read_text().strip()
    return MqttSettings(
        host=m.host, port=m.port, vehicle_id=m.vehicle_id, topic_prefix=m.topic_prefix, username=m.username,
        password=password, tls=m.tls, ca_file=str(m.ca_file) if m.ca_file else None, queue_size=m.queue_size,
        max_payload_bytes=m.max_payload_bytes,
    )


def main_run(settings: Settings) -> int:
    """Entry point of ``carvoice run``."""

    def out(text: str) -> None:
        print(text, flush=True)

    console_in = sys.stdin if settings.service.console and sys.stdin is not None and not sys.stdin.closed else None
    service = AssistantService(settings, console_out=out, console_in=console_in)
    if console_in is not None and sys.stdin.isatty():
        out("carvoice: type a request (\"/seat passenger\", \"/ptt\" to speak, \"/quit\" to stop)")
    asyncio.run(service.run())
    return 0
