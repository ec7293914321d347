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

from assistant.bus import EventBus
from assistant.config import Settings
from assistant.errors import CarvoiceError
from assistant.events import (
    CancelCommand,
    ChangeEvent,
    ErrorEvent,
    Event,
    ListeningEvent,
    PushToTalkCommand,
    Stage,
    TextCommand,
)
from assistant.mqtt import MqttLink, MqttSettings
from assistant.pipeline import InteractionResult, Pipeline, Request, Session
from assistant.runtime import Car, SpeechEngines, build_pipeline, build_understanding, open_car
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
    id: str | int | None = None
    source: str = "button"
    """What started it: ``button`` (steering wheel), ``mqtt``, ``console``, ``web``, ``wake``."""


@dataclass(frozen=True)
class _Quit:
    """Stop once the requests before it are served (the console's /quit)."""


class AssistantService:
    """The assistant as a service: owns the car, the engines, MQTT and the interaction queue."""

    def __init__(self, settings: Settings, *, console_out: Callable[[str], None] | None = None,
                 console_in: Any = None, microphone: Any = None, speaker: Any = None) -> None:
        """``microphone`` (a started ``FrameSource``) and ``speaker`` replace the sound card's devices."""
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
        self._speaker: Any = speaker
        self._microphone: Any = microphone
        self._wake: Any = None
        """The wake-word loop (``assistant.speech.wake.WakeListener``) when ``speech.wake_word`` is on."""
        self._listener: Any = None
        self._ptt_released = threading.Event()
        self.ready = asyncio.Event()
        self.handled = 0
        self.model_status: dict[str, Any] | None = None
        self.bus = EventBus()
        """Every event of the service: MQTT and the web view subscribe to it."""
        self.pipeline: Pipeline | None = None
        self.web: Any = None
        """The page's server (``assistant.web.WebView``) while it is serving."""

    # -- life cycle ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Start everything, serve until SIGTERM/SIGINT or ``stop()``, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        s = self.settings

        def model_status(status: WorkerStatus) -> None:  # called from the model's supervisor thread
            with contextlib.suppress(RuntimeError):  # the loop may be closing
                loop.call_soon_threadsafe(self._publish_model_status, status.as_dict())

        understanding = build_understanding(s, model_wait=s.service.model_wait_s, on_model_status=model_status)
        self.pipeline = build_pipeline(s, understanding, self.speech, emit=self.bus.publish)
        self.car = await open_car(s)
        self.session = Session(self.car.gateway)
        self.car.gateway.state.subscribe(self._on_state_change)
        tasks = [asyncio.create_task(self._serve_requests(), name="interactions")]
        if s.mqtt.enabled:
            self.mqtt = MqttLink(mqtt_settings(s), self.car.gateway.state.snapshot, self._on_command)
            self.mqtt.publish_status("model", self.model_status or {"state": "off"})
            self.bus.subscribe(self.mqtt.publish_event)
            tasks.append(asyncio.create_task(self.mqtt.run(), name="mqtt"))
        if s.web.enabled:
            await self._start_web()
        if s.service.console and self._console_in is not None:
            tasks.append(asyncio.create_task(self._read_console(), name="console"))
        interval = watchdog_interval()
        if interval:
            tasks.append(asyncio.create_task(self._watchdog(interval), name="watchdog"))
        self._open_audio()
        self._start_wake(loop)
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
            if self.web is not None:
                await self.web.stop()
            if self.mqtt is not None:
                await self.mqtt.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._wake is not None:
                self._wake.stop()
            if self._microphone is not None:
                self._microphone.stop()
            if self._listener is not None:
                self._listener.close()
            understanding.close()
            self.speech.close()
            await self.car.close()

    def stop(self) -> None:
        """Ask the service to stop (idempotent)."""
        self._stop.set()

    async def _start_web(self) -> None:
        """Serve the page (an error is logged and the service runs on when it cannot be served)."""
        from assistant.web import WebView  # aiohttp is loaded only when the page is served

        assert self.car is not None
        web = WebView(self.settings.web, self.bus, self.car, model_status=lambda: self.model_status,
                      submit_text=lambda text, seat, rid: self.submit(_Text(text, seat, rid)),
                      push_to_talk=lambda seat, rid: self.push_to_talk(seat, source="web", request_id=rid))
        if await web.start():
            self.web = web
            self._say_console(f"carvoice: the cabin in a browser at {web.url}")

    # -- inputs ------------------------------------------------------------------------------
    def submit(self, request: _Text | _Listen | _Quit) -> bool:
        """Queue a request; False (and an error event) when the queue is full."""
        try:
            self._requests.put_nowait(request)
            return True
        except asyncio.QueueFull:
            self._event(ErrorEvent(code="busy", message="too many requests waiting"))
            return False

    def push_to_talk(self, seat: str = "driver", *, button: bool = False, source: str | None = None,
                     request_id: str | int | None = None) -> None:
        """Barge-in: stop any reply now, then listen."""
        if self._speaker is not None:
            self._speaker.stop()
        self.submit(_Listen(seat, button, request_id, source or ("button" if button else "console")))

    async def _on_command(self, name: str, command: BaseModel) -> None:
        if isinstance(command, TextCommand):
            self.submit(_Text(command.text, command.seat, command.id))
        elif isinstance(command, PushToTalkCommand):
            self.push_to_talk(command.seat, source="mqtt", request_id=command.id)
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
        interaction = self.session.interaction_of(change.path) if self.session is not None else None
        self._event(ChangeEvent(path=change.path, old=change.old, new=change.new, interaction=interaction))

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
            if self._wake is not None and self._requests.empty():
                self._wake.resume()  # idle again: the wake word listens
            self.handled += 1

    async def _interact(self, request: _Text | _Listen) -> None:
        assert self.session is not None and self.pipeline is not None
        given = getattr(request, "id", None)
        interaction = str(given) if given is not None else uuid.uuid4().hex[:8]
        try:
            if isinstance(request, _Listen):
                heard = await self._listen(request, interaction)
                if heard is None:
                    return
                pipeline_request = Request(request.seat, heard=heard, interaction=interaction)
            else:
                pipeline_request = Request(request.seat, text=request.text, interaction=interaction)
            result = await self.pipeline.handle(self.session, pipeline_request, play=self._play if self._speaks else None)
            self._show(result)
        except CarvoiceError as err:
            _LOG.warning("interaction %s failed: %s", interaction, err)
            self._event(ErrorEvent(code=err.code, message=str(err), interaction=interaction))
        except Exception as err:  # noqa: BLE001 - one broken interaction must not stop the service
            _LOG.exception("interaction %s failed", interaction)
            self._event(ErrorEvent(code="internal", message=f"{type(err).__name__}: {err}", interaction=interaction))

    def _show(self, result: InteractionResult) -> None:
        changes = ", ".join(f"{p} = {v}" for p, v in result.changes.items())
        self._say_console(result.reply + (f"\n  {changes}" if changes else ""))

    async def _listen(self, request: _Listen, interaction: str) -> Any:
        """The microphone's next utterance, transcribed (None when there is no microphone)."""
        seat = request.seat
        if self._microphone is None:
            self._event(ErrorEvent(code="no-microphone", message="no microphone; type or send text instead",
                                   stage=Stage.LISTEN, interaction=interaction))
            self._say_console("(no microphone: type your request instead)")
            return None
        self._event(ListeningEvent(state="started", seat=seat, source=request.source, interaction=interaction))
        listener = self._listener
        if listener is None:
            from assistant.speech.listen import Listener

            listener = self._listener = Listener.from_settings(self.settings, self.speech.stt,
                                                               self._completeness)
        try:
            released = self._ptt_released if request.button else None
            turn = await asyncio.to_thread(self._take_microphone, listener, released, request.source == "wake")
        finally:
            self._event(ListeningEvent(state="stopped", seat=seat, source=request.source, interaction=interaction))
        _LOG.info("heard %r %.0f ms after the end of speech (%s)", turn.transcript.text, turn.end_to_text_ms,
                  turn.how)
        return turn.transcript

    def _take_microphone(self, listener: Any, released: threading.Event | None, after_wake: bool) -> Any:
        """Listen (blocking, on a worker thread): the wake-word loop lets go of the microphone first; after a
        wake word the words that followed it are already in the microphone's buffer."""
        if self._wake is not None:
            self._wake.pause()
        return listener.listen(self._microphone, released, buffered=after_wake)

    def _start_wake(self, loop: asyncio.AbstractEventLoop) -> None:
        """Listen for the wake word when one is configured and a microphone is open."""
        sp = self.settings.speech
        if sp.wake_word == "off" or self._microphone is None:
            return
        from assistant.speech.wake import WakeListener, WakeWordError, load_wake_word, threshold_for

        try:
            detector = load_wake_word(sp.wake_word)
        except WakeWordError as err:
            _LOG.warning("no wake word: %s", err)
            self._event(ErrorEvent(code=err.code, message=str(err), stage=Stage.LISTEN))
            return

        def heard() -> None:  # on the wake-word loop's thread
            with contextlib.suppress(RuntimeError):  # the loop may be closing
                loop.call_soon_threadsafe(lambda: self.push_to_talk(sp.wake_seat, source="wake"))

        self._wake = WakeListener(detector, self._microphone, heard, threshold=threshold_for(sp.wake_word,
                                  sp.wake_threshold), refractory_s=sp.wake_refractory_s).start()
        _LOG.info("listening for %r (threshold %.2f)", detector.phrase, self._wake.trigger.threshold)

    def _completeness(self, text: str, seat: str = "driver") -> Any:
        """How complete a transcript is, for the listener's early end (called from its thread: read-only)."""
        assert self.pipeline is not None and self.session is not None
        return self.pipeline.understanding.account(text, seat, self.session.context)

    @property
    def _speaks(self) -> bool:
        return self._speaker is not None or self.settings.speech.save_audio_dir is not None

    def _play(self, chunks: Any, sample_rate: int) -> None:
        """Play a reply (blocking, on a worker thread): the microphone is muted meanwhile; a copy is kept
        as a WAV file when ``speech.save_audio_dir`` is set."""
        if self.settings.speech.save_audio_dir is not None:
            chunks = _saving(chunks, sample_rate, Path(self.settings.speech.save_audio_dir))
        if self._speaker is None:
            for _ in chunks:
                pass
            return
        if self._microphone is not None:
            self._microphone.muted = True  # do not listen to ourselves
        if self._wake is not None:
            self._wake.speaking(True)
        try:
            self._speaker.play(chunks, sample_rate)
        finally:
            if self._microphone is not None:
                self._microphone.muted = False
            if self._wake is not None:
                self._wake.speaking(False)

    def _open_audio(self) -> None:
        from assistant.speech.devices import Microphone, Speaker, list_devices

        sp = self.settings.speech
        try:
            devices = list_devices()
        except CarvoiceError as err:
            _LOG.info("no audio devices (%s): text only", err)
            return
        if (self.settings.service.speaker and self._speaker is None
                and any(d["max_output_channels"] > 0 for d in devices)):
            self._speaker = Speaker(sp.output_device)
        if (self.settings.service.microphone and self._microphone is None
                and any(d["max_input_channels"] > 0 for d in devices)):
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
        self.bus.publish(event)

    def _say_console(self, text: str) -> None:
        if self._console_out is not None:
            self._console_out(text)

    async def _watchdog(self, interval: float) -> None:
        while True:
            notify("WATCHDOG=1")
            await asyncio.sleep(interval)


def _saving(chunks: Any, sample_rate: int, folder: Path) -> Any:
    """The chunks, passed on while they are written to a WAV file in ``folder``."""
    import wave

    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / f"reply-{int(time.time() * 1000)}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        for chunk in chunks:
            w.writeframes(chunk.samples.tobytes())
            yield chunk


def mqtt_settings(s: Settings) -> MqttSettings:
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
