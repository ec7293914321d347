"""Errors of the speech stages, each with a machine-readable code."""

from __future__ import annotations

from assistant.errors import CarvoiceError


class AudioError(CarvoiceError):
    """Audio that cannot be read or used (code ``audio-unreadable``, ``audio-empty``, ...)."""

    code = "audio-unreadable"


class SpeechToTextError(CarvoiceError):
    """The speech-to-text engine failed (``stt-no-model``, ``stt-failed``)."""

    code = "stt-failed"


class TextToSpeechError(CarvoiceError):
    """The text-to-speech engine failed (``tts-no-voice``, ``tts-failed``)."""

    code = "tts-failed"
