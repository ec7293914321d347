"""Speech in and out with the real models, on WAVs the tests make with piper and espeak-ng."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.speech.audio import read_audio
from assistant.speech.stt import SpeechToText, _suspicious
from assistant.speech.tts import TextToSpeech, find_voice
from tests.conftest import PYTHON, ROOT

pytestmark = pytest.mark.slow
SETTINGS = load_settings(None)


@pytest.fixture(scope="module")
def stt() -> SpeechToText:
    engine = SpeechToText(SETTINGS.speech.stt_model)
    engine.load()
    return engine


@pytest.fixture(scope="module")
def tts() -> TextToSpeech:
    # the same recording every run: piper's natural variation made "passenger" now and then "pass in your"
    voice = TextToSpeech(find_voice(SETTINGS.speech.voice, list(SETTINGS.speech.voice_dirs)), varied=False)
    voice.load()
    return voice


def test_an_unvaried_voice_says_a_sentence_the_same_every_time(tts: TextToSpeech) -> None:
    said = [np.concatenate([c.samples for c in tts.synthesize("Heat my seat.")]) for _ in range(2)]
    assert len(said[0]) > 8000 and np.array_equal(said[0], said[1])


def espeak(text: str, path: Path, rate: int = 22050, channels: int = 1) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-G", str(raw), "-r", str(rate), "-c", str(channels), str(path)], check=True)
    return path


def words(text: str) -> set[str]:
    return set("".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").split())


@pytest.mark.parametrize(("rate", "channels", "expected"), [
    (16000, 1, {"open", "passenger", "window", "halfway"}),
    (44100, 2, {"open", "passenger", "window", "halfway"}),
    (8000, 1, {"open", "window", "halfway"}),  # telephone bandwidth loses some consonants
])
def test_espeak_commands_are_transcribed_at_any_rate(stt: SpeechToText, tmp_path: Path, rate: int, channels: int,
                                                     expected: set[str]) -> None:
    wav = espeak("open the passenger window halfway", tmp_path / "c.wav", rate, channels)
    heard = stt.transcribe(read_audio(wav))
    assert expected <= words(heard.text), heard


def test_piper_speech_round_trips_through_whisper(stt: SpeechToText, tts: TextToSpeech, tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    first_ms, seconds = tts.to_wav("Turn on the seat heating.", out)
    assert first_ms > 0 and 0.8 < seconds < 4.0
    assert {"seat", "heating"} <= words(stt.transcribe(read_audio(out)).text)


def test_trimmed_window_hears_what_the_full_window_hears(stt: SpeechToText, tts: TextToSpeech, tmp_path: Path) -> None:
    out = tmp_path / "cmd.wav"
    tts.to_wav("Set the passenger temperature to twenty one degrees.", out)
    audio = read_audio(out)
    full = SpeechToText(SETTINGS.speech.stt_model, trim_context=False)
    full.load()
    trimmed, whole = stt.transcribe(audio), full.transcribe(audio)
    assert stt.trim_context and {"passenger", "temperature", "21"} <= words(trimmed.text), trimmed
    assert words(trimmed.text) == words(whole.text)


def test_near_misses_of_the_cars_words_are_mended() -> None:
    engine = SpeechToText.from_settings(SETTINGS)
    engine.load()
    assert engine.mend("Unavigate to Berlin.") == "navigate to Berlin."
    assert engine.mend("Turn on the rear deflaster.") == "Turn on the rear defroster."
    # common words (one token of Whisper's vocabulary) and far-off words stay as heard
    assert engine.mend("I am seated, send a message") == "I am seated, send a message"
    assert engine.mend("Phantom maximum") == "Phantom maximum"


def test_looping_transcripts_are_redone_with_the_full_window() -> None:
    one_s, two_s = np.zeros(16000, dtype=np.float32), np.zeros(32000, dtype=np.float32)
    assert _suspicious("Turn on the massage. " * 6, two_s, -0.2)  # repeats itself
    assert _suspicious("open the window and the sunroof and the seat and the fan", one_s, -0.2)  # too many words
    assert not _suspicious("open the window", two_s, -0.6)  # unsure is for the understanding to doubt, not a redo
    assert not _suspicious("Open the window halfway.", two_s, -0.1)


class FakeMicrophone:
    """Frames of a recording, then silence for ever, as a microphone delivers them."""

    def __init__(self, audio: np.ndarray, release: threading.Event | None = None, release_at: int = 0) -> None:
        from assistant.speech.vad import FRAME

        pad = (-len(audio)) % FRAME
        self.frames = list(np.concatenate([audio, np.zeros(pad, np.float32)]).reshape(-1, FRAME))
        self.release, self.release_at, self.delivered = release, release_at, 0

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        from assistant.speech.vad import FRAME

        self.delivered += 1
        if self.release is not None and self.delivered >= self.release_at:
            self.release.set()  # the push-to-talk button is let go here
        return self.frames.pop(0) if self.frames else np.zeros(FRAME, np.float32)

    def clear(self) -> None:
        pass


def test_listening_transcribes_from_the_first_pause(stt: SpeechToText, tts: TextToSpeech, tmp_path: Path) -> None:
    from assistant.speech.listen import Listener

    calls: list[int] = []

    def transcribe(audio: np.ndarray) -> object:
        calls.append(len(audio))
        return stt.transcribe(audio)

    def said(text: str, name: str) -> np.ndarray:
        tts.to_wav(text, tmp_path / name)
        return read_audio(tmp_path / name)

    listener = Listener(transcribe, end_silence_s=0.5, pause_s=0.2)  # type: ignore[arg-type]
    try:
        one = said("Turn on the seat heating.", "one.wav")
        turn = listener.listen(FakeMicrophone(np.concatenate([np.zeros(8000, np.float32), one])))
        assert {"seat", "heating"} <= words(turn.transcript.text)
        assert turn.early and len(calls) == 1  # the end of speech found the transcript under way

        # a 0.3 s pause mid-sentence starts an early transcript that the rest of the sentence makes stale
        calls.clear()
        two = said("And open the window.", "two.wav")
        gap = np.zeros(int(0.3 * 16000), np.float32)
        turn = listener.listen(FakeMicrophone(np.concatenate([one, gap, two])))
        assert {"seat", "heating", "window"} <= words(turn.transcript.text), turn.transcript
        assert len(calls) == 2 and calls[0] < calls[1]  # the stale part, then the whole from the final pause

        # hold-to-talk: letting go of the button right after the words ends the utterance at once
        calls.clear()
        frames = len(one) // 512 + 1
        released = threading.Event()
        mic = FakeMicrophone(one, released, release_at=frames)
        turn = listener.listen(mic, released=released)
        assert {"seat", "heating"} <= words(turn.transcript.text)
        assert mic.delivered <= frames + 1 and len(calls) == 1  # no 500 ms of silence waited for

        # a tap before speaking (released at once) leaves the end of speech to the silence
        released = threading.Event()
        mic = FakeMicrophone(np.concatenate([np.zeros(8000, np.float32), one]), released, release_at=1)
        turn = listener.listen(mic, released=released)
        assert {"seat", "heating"} <= words(turn.transcript.text) and mic.delivered > frames + 15
    finally:
        listener.close()


def test_tts_writes_valid_audio_of_plausible_length(tts: TextToSpeech, tmp_path: Path) -> None:
    out = tmp_path / "long.wav"
    text = "The driver's side is now twenty two degrees. Navigating to the Allianz Arena."
    _, seconds = tts.to_wav(text, out)
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == tts.sample_rate
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    assert 3.0 < seconds < 9.0  # about 2.5 words a second
    assert np.abs(samples).max() > 3000  # not silence


def test_silence_and_noise_are_heard_as_nothing(stt: SpeechToText) -> None:
    rng = np.random.default_rng(1)
    for audio in (np.zeros(16000 * 3, np.float32), (rng.standard_normal(16000 * 3) * 0.2).astype(np.float32)):
        assert stt.transcribe(audio).text == ""


def test_a_long_monologue_is_not_a_command(stt: SpeechToText, tmp_path: Path) -> None:
    text = " ".join(["I was telling my colleague about the weekend and the weather and the long drive home"] * 8)
    heard = stt.transcribe(read_audio(espeak(text, tmp_path / "m.wav", 16000)))
    assert heard.too_long and heard.text == ""


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk", b"not audio at all" * 10])
def test_unreadable_audio_raises_a_clear_error(tmp_path: Path, content: bytes) -> None:
    from assistant.speech.errors import AudioError

    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    with pytest.raises(AudioError):
        read_audio(bad)


def test_batch_audio_requests_act_and_bad_files_get_error_lines(tmp_path: Path) -> None:
    good = espeak("turn on the seat heating", tmp_path / "good.wav", 44100, 2)
    (tmp_path / "empty.wav").write_bytes(b"")
    silence = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "2"], check=True)
    lines = [{"id": 1, "audio": str(good)}, {"id": 2, "audio": str(tmp_path / "empty.wav")},
             {"id": 3, "audio": str(tmp_path / "missing.wav")}, {"id": 4, "audio": str(silence)}]
    out = subprocess.run([PYTHON, "-m", "assistant.cli", "batch", "--understanding", "parser-only"],
                         input="".join(json.dumps(l) + "\n" for l in lines), capture_output=True, text=True, timeout=300)
    results = [json.loads(l) for l in out.stdout.splitlines()]
    assert out.returncode == 0 and [r["id"] for r in results] == [1, 2, 3, 4]
    assert results[0]["changes"] == {"Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling": 100}, results[0]
    assert results[0]["ms"]["stt"] > 0 and results[0]["ms"]["tts"] > 0
    assert results[1]["error"]["code"] == "audio-empty" and results[2]["error"]["code"] == "audio-missing"
    assert results[3]["changes"] == {} and results[3]["transcript"] == "" and results[3]["error"] is None


ALSA = """
pcm.cvcapfile {{ type file; slave.pcm "null"; file "/dev/null"; infile "{infile}"; format "raw" }}
pcm.cvcapture {{ type plug; slave {{ pcm "cvcapfile"; format S16_LE; rate 16000; channels 1 }} }}
pcm.cvplayfile {{ type file; slave.pcm "null"; file "{outfile}"; format "raw" }}
pcm.cvplay {{ type plug; slave {{ pcm "cvplayfile"; format S16_LE; rate 22050; channels 1 }} }}
"""


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox missing")
def test_sounddevice_path_through_the_alsa_file_plugin(tmp_path: Path) -> None:
    """Capture and playback through real PortAudio streams, with files in place of hardware."""
    speech = espeak("close the sunroof", tmp_path / "s.wav", 16000)
    infile = tmp_path / "in.raw"
    subprocess.run(["sox", str(speech), "-t", "raw", "-e", "signed-integer", "-b", "16", str(infile)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(ALSA.format(infile=infile, outfile=tmp_path / "out.raw"))
    script = textwrap.dedent(
        """
        import json, time, numpy as np
        from assistant.speech.devices import Microphone, Speaker
        import sys
        want = int(sys.argv[1])
        mic = Microphone("cvcapture", seconds=600).start()
        frames, got = [], 0
        deadline = time.monotonic() + 20
        while got < want and time.monotonic() < deadline:  # the file device runs unthrottled: read at once
            f = mic.read(1.0)
            if f is not None:
                frames.append(f)
                got += len(f)
        mic.stop()
        audio = np.concatenate(frames)
        tone = (np.sin(np.arange(22050) / 8) * 8000).astype(np.int16)
        done = Speaker("cvplay").play([tone], 22050)
        np.save("captured.npy", audio)
        print(json.dumps({"frames": len(frames), "played": done}))
        """
    )
    env = {**os.environ, "HOME": str(home)}
    want = len(infile.read_bytes()) // 2
    out = subprocess.run([PYTHON, "-c", script, str(want)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["played"] and (tmp_path / "out.raw").stat().st_size == 22050 * 2
    captured = np.load(tmp_path / "captured.npy")
    expected = np.frombuffer(infile.read_bytes(), dtype=np.int16).astype(np.float32) / 32768
    n = min(len(expected), len(captured))
    assert n > 16000
    # the file's samples came through PortAudio; past the first period the unthrottled file device
    # (slave "null" has no clock) drops samples, so only the opening is compared exactly
    assert np.isclose(captured[:256], expected[:256], atol=1e-3).all()


def test_transcribe_and_say_commands(tmp_path: Path) -> None:
    out = tmp_path / "say.wav"
    # piper samples its prosody, so each run is a slightly different recording; "sunroof" from this
    # voice is sometimes heard as "summer of" (a known miss, measured by the evaluation, not here)
    said = subprocess.run([PYTHON, "-m", "assistant.cli", "say", "Turn on the seat heating.", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert said.returncode == 0, said.stderr
    heard = subprocess.run([PYTHON, "-m", "assistant.cli", "transcribe", str(out)], capture_output=True, text=True,
                           timeout=120)
    assert heard.returncode == 0 and {"seat", "heating"} <= words(heard.stdout)
    assert ROOT.exists()
