"""The ``carvoice`` command line: the only layer that prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vehicle.signals import VssValue

_LOG = logging.getLogger(__name__)


def _parse_assignment(text: str) -> tuple[str, VssValue]:
    path, sep, raw = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected PATH=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return path.strip(), value


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulated car, serving socketcand on a loopback port."""
    from vehicle.errors import VehicleError
    from vehicle.sim.server import SimulatedCar, run_forever

    try:
        car = SimulatedCar(host=args.host, port=args.port, can_name=args.channel, initial=dict(args.set))
    except (VehicleError, OSError) as err:
        print(f"carvoice sim: {err}", file=sys.stderr)
        return 2
    host, port = car.server.address
    print(f"carvoice sim: socketcand {args.channel}@{host}:{port} (Ctrl-C stops)", flush=True)
    run_forever(car)
    return 0


def _settings(args: argparse.Namespace) -> Any:
    from assistant.config import load_settings

    overrides = {}
    if getattr(args, "understanding", None):
        overrides["understanding.mode"] = args.understanding
    return load_settings(args.config, **overrides)


def cmd_batch(args: argparse.Namespace) -> int:
    """Answer JSON-lines requests from stdin on stdout (the evaluation interface)."""
    from assistant.batch import main_batch
    from assistant.errors import ConfigError

    try:
        settings = _settings(args)
    except ConfigError as err:
        print(f"carvoice batch: {err}", file=sys.stderr)
        return 2
    return main_batch(settings, speech=not args.no_speech)


def cmd_ask(args: argparse.Namespace) -> int:
    """Ask one thing and print the reply and what changed in the car."""
    import asyncio

    from assistant.batch import BatchRunner
    from assistant.errors import ConfigError

    try:
        settings = _settings(args)
    except ConfigError as err:
        print(f"carvoice ask: {err}", file=sys.stderr)
        return 2
    init = dict(args.set)

    async def ask() -> dict[str, Any]:
        runner = BatchRunner(settings, speech=False)
        try:
            line = json.dumps({"id": 1, "text": args.text, "seat": args.seat, "init": init or None})
            return await runner.handle_line(line)
        finally:
            await runner.close()

    result = asyncio.run(ask())
    print(result["reply"])
    for path, value in result["changes"].items():
        print(f"  {path} = {json.dumps(value)}")
    if args.verbose_calls:
        print("  calls:", json.dumps(result["calls"]))
    return 0 if result["error"] is None else 1


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Print what speech-to-text hears in a WAV file."""
    from assistant.errors import CarvoiceError
    from assistant.speech.audio import read_audio
    from assistant.speech.stt import SpeechToText

    try:
        settings = _settings(args)
        stt = SpeechToText.from_settings(settings, args.model)
        heard = stt.transcribe(read_audio(args.file))
    except CarvoiceError as err:
        print(f"carvoice transcribe: {err}", file=sys.stderr)
        return 1
    if heard.too_long:
        print(f"(speech ran {heard.speech_seconds:.1f} s, longer than a command)", file=sys.stderr)
    print(heard.text)
    print(f"({heard.ms:.0f} ms, {heard.speech_seconds:.1f} s of speech)", file=sys.stderr)
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    """Speak text with the piper voice, to a WAV file or the audio device."""
    from assistant.errors import CarvoiceError
    from assistant.speech.devices import Speaker
    from assistant.speech.tts import TextToSpeech, find_voice

    try:
        settings = _settings(args)
        voice = TextToSpeech(find_voice(args.voice or settings.speech.voice, list(settings.speech.voice_dirs)))
        voice.load()
        if args.output:
            first_ms, seconds = voice.to_wav(args.text, Path(args.output))
            print(f"wrote {args.output}: {seconds:.1f} s of audio, first chunk after {first_ms:.0f} ms", file=sys.stderr)
        else:
            Speaker(settings.speech.output_device).play(voice.synthesize(args.text), voice.sample_rate)
    except CarvoiceError as err:
        print(f"carvoice say: {err}", file=sys.stderr)
        return 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the assistant service."""
    from assistant.errors import ConfigError
    from assistant.service import main_run

    try:
        settings = _settings(args)
    except ConfigError as err:
        print(f"carvoice run: {err}", file=sys.stderr)
        return 2
    return main_run(settings)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check models, audio, CAN, broker and configuration."""
    from assistant.doctor import run_doctor

    return run_doctor(args.config, load=not args.quick, say=lambda text: print(text, flush=True))


def cmd_config(args: argparse.Namespace) -> int:
    """Print every configuration key with its default."""
    from assistant.config import render_example

    print(render_example(), end="")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Print latency tables measured on this machine."""
    from assistant.bench import main_bench

    sections = args.section or ["vehicle", "understanding", "speech", "wake"]
    return main_bench(_settings(args), sections, args.cases, not args.no_model_only)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    ap = argparse.ArgumentParser(prog="carvoice", description="An offline in-car voice assistant.")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for DEBUG)")
    sub = ap.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("sim", help="run the simulated car as its own process (socketcand server)")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=29536, help="TCP port (default 29536; 0 picks a free one)")
    sim.add_argument("--channel", default="can0", help="bus name clients open (default can0)")
    sim.add_argument(
        "--set", action="append", type=_parse_assignment, default=[], metavar="PATH=VALUE",
        help="start value of a sensor or actuator, e.g. Vehicle.Speed=80 (repeatable)",
    )
    sim.set_defaults(func=cmd_sim)

    batch = sub.add_parser("batch", help="JSON-lines requests on stdin, one result line each on stdout")
    batch.add_argument("--config", type=Path, help="TOML configuration file")
    batch.add_argument("--no-speech", action="store_true", help="skip speech synthesis of replies")
    batch.add_argument("--understanding", choices=["parser-first", "model-only", "parser-only"],
                       help="override understanding.mode")
    batch.set_defaults(func=cmd_batch)

    ask = sub.add_parser("ask", help="say one thing (typed) and print the reply and the changes")
    ask.add_argument("text")
    ask.add_argument("--seat", default="driver", choices=["driver", "passenger", "rear-left", "rear-right"])
    ask.add_argument("--config", type=Path, help="TOML configuration file")
    ask.add_argument("--understanding", choices=["parser-first", "model-only", "parser-only"])
    ask.add_argument("--set", action="append", type=_parse_assignment, default=[], metavar="PATH=VALUE",
                     help="start value in the simulator, e.g. Vehicle.Speed=80 (repeatable)")
    ask.add_argument("--calls", dest="verbose_calls", action="store_true", help="also print the tool calls")
    ask.set_defaults(func=cmd_ask)

    tr = sub.add_parser("transcribe", help="print what speech-to-text hears in a WAV file")
    tr.add_argument("file")
    tr.add_argument("--model", type=Path, help="faster-whisper model directory (default: speech.stt_model)")
    tr.add_argument("--config", type=Path, help="TOML configuration file")
    tr.set_defaults(func=cmd_transcribe)

    say = sub.add_parser("say", help="speak text with the piper voice")
    say.add_argument("text")
    say.add_argument("-o", "--output", help="write a WAV file instead of playing it")
    say.add_argument("--voice", help="voice name or .onnx path (default: speech.voice)")
    say.add_argument("--config", type=Path, help="TOML configuration file")
    say.set_defaults(func=cmd_say)

    run = sub.add_parser("run", help="run the assistant service (built-in simulator unless configured)")
    run.add_argument("--config", type=Path, help="TOML configuration file")
    run.add_argument("--understanding", choices=["parser-first", "model-only", "parser-only"])
    run.set_defaults(func=cmd_run)

    doctor = sub.add_parser("doctor", help="check models, audio, CAN, broker and configuration")
    doctor.add_argument("--config", type=Path, help="TOML configuration file")
    doctor.add_argument("--quick", action="store_true", help="check files only; do not load the models")
    doctor.set_defaults(func=cmd_doctor)

    config = sub.add_parser("config", help="print every configuration key with its default")
    config.set_defaults(func=cmd_config)

    bench = sub.add_parser("bench", help="print latency tables measured on this machine")
    bench.add_argument("--section", action="append", choices=["vehicle", "understanding", "speech", "wake"],
                       help="only these sections (repeatable; default: all)")
    bench.add_argument("--cases", type=Path, help="evaluation-format requests (default: ../shared/eval/dev.jsonl)")
    bench.add_argument("--no-model-only", action="store_true", help="skip the model-only comparison (minutes)")
    bench.add_argument("--config", type=Path, help="TOML configuration file")
    bench.set_defaults(func=cmd_bench)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carvoice`` console script."""
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
