"""Audio devices through sounddevice (PortAudio): a microphone with a ring buffer, a speaker with barge-in.

sounddevice is imported only here and only when a device is opened, so that the environment
(e.g. an ALSA configuration in tests) can be set first and machines without PortAudio still run
the assistant from the console.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any

import numpy as np

from assistant.speech.errors import AudioError
from assistant.speech.vad import FRAME, SAMPLE_RATE

_LOG = logging.getLogger(__name__)


def _sd() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as err:
        raise AudioError(f"sounddevice/PortAudio unavailable: {err}", code="audio-device") from err
    return sounddevice


def find_device(name: str | None, *, kind: str) -> int | None:
    """The index of the first ``kind`` ("input"/"output") device whose name contains ``name``."""
    if name is None:
        return None
    sd = _sd()
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    for index, dev in enumerate(sd.query_devices()):
        if name.lower() in str(dev["name"]).lower() and dev[key] > 0:
            return index
    raise AudioError(f"no {kind} device named like {name!r}", code="audio-device")


def list_devices() -> list[dict[str, Any]]:
    """Every PortAudio device with its name and channel counts."""
    return [dict(d) for d in _sd().query_devices()]


class Microphone:
    """A 16 kHz mono input stream; frames of ``FRAME`` samples land in a bounded ring buffer."""

    def __init__(self, device: str | None = None, *, seconds: float = 30.0) -> None:
        self.device = device
        self._ring: collections.deque[np.ndarray] = collections.deque(maxlen=int(seconds * SAMPLE_RATE / FRAME))
        self._ready = threading.Condition()
        self._stream: Any = None
        self.overflows = 0
        self.muted = False

    def start(self) -> Microphone:
        """Open the device and start capturing."""
        sd = _sd()
        try:
            self._stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", blocksize=FRAME,
                                          device=find_device(self.device, kind="input"), callback=self._callback)
            self._stream.start()
        except sd.PortAudioError as err:
            raise AudioError(f"cannot open the microphone: {err}", code="audio-device") from err
        return self

    def stop(self) -> None:
        """Stop capturing and close the device."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status:
            self.overflows += 1
        if self.muted:  # while the assistant speaks it does not listen to itself
            return
        with self._ready:
            self._ring.append(indata[:, 0].copy())
            self._ready.notify()

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        """The oldest captured frame, or None after ``timeout`` seconds."""
        with self._ready:
            if not self._ring and not self._ready.wait(timeout):
                return None
            return self._ring.popleft() if self._ring else None

    def clear(self) -> None:
        """Drop what was captured so far."""
        with self._ready:
            self._ring.clear()


class Speaker:
    """Plays int16 chunks; ``stop()`` cuts playback at once (barge-in)."""

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self._stop = threading.Event()

    def play(self, chunks: Any, sample_rate: int) -> bool:
        """Play chunks until done or stopped (blocking; run it off the event loop). True when complete."""
        sd = _sd()
        self._stop.clear()
        try:
            with sd.OutputStream(samplerate=sample_rate, channels=1, dtype="int16",
                                 device=find_device(self.device, kind="output")) as stream:
                for chunk in chunks:
                    samples = chunk.samples if hasattr(chunk, "samples") else chunk
                    for i in range(0, len(samples), 2048):
                        if self._stop.is_set():
                            stream.abort()
                            return False
                        stream.write(np.ascontiguousarray(samples[i : i + 2048]).reshape(-1, 1))
        except sd.PortAudioError as err:
            raise AudioError(f"cannot play audio: {err}", code="audio-device") from err
        return True

    def stop(self) -> None:
        """Barge-in: stop the current playback now."""
        self._stop.set()
