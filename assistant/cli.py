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
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carvoice`` console script."""
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
