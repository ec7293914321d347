"""Builds the assistant's parts from the configuration: the car, the understanding, the policy."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import can

from assistant.config import Settings
from assistant.hearing import HearingConfig
from assistant.pipeline import Emit, Pipeline
from assistant.stages import SpeechChunk, SpeechToText, TextToSpeech
from assistant.places import Places
from assistant.policy import Policy, PolicyConfig
from assistant.understanding.model import ModelClient, ModelSettings
from assistant.understanding.parser import RuleParser
from assistant.understanding.understand import Mode
from assistant.understanding.understand import Understanding as Understander
from assistant.workers import WorkerStatus
from vehicle.gateway import CanGateway
from vehicle.signals import VssValue
from vehicle.sim import VehicleSimulator
from vehicle.transport import CanTransport

_LOG = logging.getLogger(__name__)


@dataclass
class Car:
    """A gateway to a car, and the simulator behind it when the car is the embedded one."""

    gateway: CanGateway
    simulator: VehicleSimulator | None = None
    _ecu_bus: can.BusABC | None = None

    async def close(self) -> None:
        """Stop the simulator and close the bus."""
        if self.simulator is not None:
            self.simulator.stop(wait=False)  # it ends on its next poll of the (then closed) bus
        await self.gateway.close()
        if self._ecu_bus is not None:
            self._ecu_bus.shutdown()


async def open_car(settings: Settings, initial: Mapping[str, VssValue] | None = None) -> Car:
    """The car the configuration names: a fresh embedded simulator, or a bus to a real/shared one."""
    v = settings.vehicle
    frame_log = str(v.frame_log) if v.frame_log else None
    if v.interface != "embedded":
        transport = CanTransport(v.interface, v.channel, v.host, v.port)
        gateway = CanGateway(transport, timeout=v.timeout_s, retries=v.retries, frame_log=frame_log)
        await gateway.start()
        return Car(gateway)
    channel = f"carvoice-{uuid.uuid4().hex[:12]}"
    gateway = CanGateway(CanTransport("virtual", channel), timeout=v.timeout_s, retries=v.retries, frame_log=frame_log)
    ecu_bus = can.Bus(interface="virtual", channel=channel)
    try:
        simulator = VehicleSimulator(ecu_bus, initial=initial)
    except Exception:
        ecu_bus.shutdown()
        raise
    # the gateway listens before the ECUs' first broadcast, so its state is complete at once
    try:
        await gateway.connect()
        simulator.start()
        await gateway.wait_for_state(2.0)
    except BaseException:
        simulator.stop()
        ecu_bus.shutdown()
        raise
    return Car(gateway, simulator, ecu_bus)


def build_places(settings: Settings) -> Places:
    """The offline destinations; the gazetteer loads in the background."""
    places = Places(settings.pois_path())
    threading.Thread(target=places.warm, name="gazetteer", daemon=True).start()
    return places


def build_policy(settings: Settings, places: Places) -> Policy:
    """The policy with the configured rule values."""
    return Policy(places, PolicyConfig(seat_speed_limit_kmh=settings.policy.seat_speed_limit_kmh))


def model_settings(settings: Settings) -> ModelSettings:
    """The model's settings from the configuration."""
    u = settings.understanding
    return ModelSettings(u.model_path, u.threads, u.context_tokens, u.max_tokens, u.deadline_s, u.start_timeout_s,
                         u.state_folder(), u.answer_format, u.few_shot)


def build_understanding(settings: Settings, *, load_model: bool = True, model_wait: float | None = None,
                        on_model_status: Callable[[WorkerStatus], None] | None = None) -> Understander:
    """Parser and (unless parser-only) the model, whose worker process starts in the background."""
    u = settings.understanding
    mode = Mode(u.mode)
    model = None
    if mode is not Mode.PARSER_ONLY and load_model:
        model = ModelClient(model_settings(settings), on_status=on_model_status).start()
    return Understander(RuleParser(), model, mode, model_wait=u.model_wait_s if model_wait is None else model_wait,
                         model_for_named=u.model_for_unclear, confirm_model=u.confirm_model)


class LazyVoice:
    """The configured piper voice, found and loaded on first use (a ``TextToSpeech``)."""

    def __init__(self, name: str, folders: list[Path]) -> None:
        self.name = name
        self.folders = folders
        self._voice: TextToSpeech | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Find and load the voice (blocking; raises ``TextToSpeechError``)."""
        self._get()

    def _get(self) -> TextToSpeech:
        from assistant.speech.tts import TextToSpeech as Piper
        from assistant.speech.tts import find_voice

        with self._lock:
            if self._voice is None:
                voice = Piper(find_voice(self.name, self.folders))
                voice.load()
                self._voice = voice
            return self._voice

    @property
    def sample_rate(self) -> int:
        """Hertz of the voice's audio."""
        return self._get().sample_rate

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """One chunk per sentence (blocking)."""
        return self._get().synthesize(text)

    def to_wav(self, text: str, path: Path) -> tuple[float, float]:
        """Write the speech to a WAV file (see ``assistant.speech.tts.TextToSpeech.to_wav``)."""
        return self._get().to_wav(text, path)  # type: ignore[attr-defined, no-any-return]


class SpeechEngines:
    """Speech-to-text and text-to-speech, loaded once in the background when first needed."""

    def __init__(self, settings: Settings) -> None:
        sp = settings.speech
        self.settings = sp
        self.stt: SpeechToText
        self.voice: TextToSpeech
        if sp.engines_in_worker:
            from assistant.speech.engine_worker import WorkerSpeechToText, WorkerTextToSpeech

            self.stt = WorkerSpeechToText(settings, deadline=sp.engine_deadline_s)
            self.voice = WorkerTextToSpeech(settings, deadline=sp.engine_deadline_s)
        else:
            self.stt = self.recogniser(settings)
            self.voice = LazyVoice(sp.voice, list(sp.voice_dirs))

    @staticmethod
    def recogniser(settings: Settings) -> SpeechToText:
        """The in-process recogniser ``speech.stt_engine`` names (not loaded yet)."""
        if settings.speech.stt_engine == "moonshine":
            from assistant.speech.moonshine import MoonshineSpeechToText

            return MoonshineSpeechToText.from_settings(settings)
        from assistant.speech.stt import SpeechToText as Whisper

        return Whisper.from_settings(settings)

    def close(self) -> None:
        """Stop the engines' worker processes, if they run in any."""
        for engine in (self.stt, self.voice):
            if hasattr(engine, "worker"):
                engine.close()

    def warm(self, *, stt: bool = True, tts: bool = True) -> None:
        """Load the engines (blocking; errors surface again on use)."""
        with contextlib.suppress(Exception):
            if stt:
                self.stt.load()
        with contextlib.suppress(Exception):
            if tts:
                self.voice.load()


def build_pipeline(settings: Settings, understanding: Understander, engines: SpeechEngines | None = None,
                   emit: Emit | None = None) -> Pipeline:
    """The pipeline the configuration describes, with its speech engines (when given)."""
    places = build_places(settings)
    return Pipeline(understanding, build_policy(settings, places), stt=engines.stt if engines else None,
                    tts=engines.voice if engines else None, emit=emit, hearing=hearing_config(settings))


def hearing_config(settings: Settings) -> HearingConfig:
    """How transcripts are chosen and doubted (``[speech]``)."""
    sp = settings.speech
    return HearingConfig(rescore=sp.rescore, confirm_doubt=sp.confirm_doubt)
