"""``carvoice doctor``: checks what the service needs and says how to fix what is wrong."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings


@dataclass(frozen=True)
class Check:
    """One finding."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _timed(label: str, work: Callable[[], object], say: Callable[[str], None]) -> float:
    """Run ``work`` while printing progress every few seconds (long model loads)."""
    done = threading.Event()
    started = time.perf_counter()

    def progress() -> None:
        while not done.wait(3.0):
            say(f"  ... still loading {label} ({time.perf_counter() - started:.0f} s)")

    threading.Thread(target=progress, daemon=True).start()
    try:
        work()
    finally:
        done.set()
    return time.perf_counter() - started


LLAMA_PROBE = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"


def check_native(probe: str = LLAMA_PROBE) -> list[Check]:
    """The llama.cpp build: its CPU features, and whether this CPU can run them (probed in a child)."""
    import json
    import subprocess
    import sys

    from assistant import native

    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return [Check("llama.cpp build", False, "loading the library hung for 120 s", "rebuild: make setup")]
    stamp_file = Path(sys.prefix) / "carvoice-llama.json"
    try:
        stamp = json.loads(stamp_file.read_text())
    except (OSError, ValueError):
        stamp = {}
    target = stamp.get("target", "unknown (not built by make setup)")
    rebuild = "rebuild for a portable baseline: make setup LLAMA_TARGET=portable"
    if done.returncode < 0:
        import signal

        name = signal.Signals(-done.returncode).name
        why = "instructions this CPU lacks" if name == "SIGILL" else f"a {name}"
        return [Check("llama.cpp build", False, f"the {target} build dies of {name} on this CPU ({why})", rebuild)]
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Check("llama.cpp build", False, f"llama_cpp does not load: {last}", "make setup")]
    features = native.reported_features(done.stdout)
    lacking = native.unsupported(features, native.cpu_flags())
    listed = " ".join(sorted(features)) or "none"
    if lacking:
        return [Check("llama.cpp build", False, f"{target} build with {listed}; this CPU lacks {' '.join(lacking)}",
                      rebuild)]
    problems = native.portable_problems(features) if target == "portable" else []
    if problems:
        return [Check("llama.cpp build", False, f"said to be portable but {'; '.join(problems)}", rebuild)]
    return [Check("llama.cpp build", True, f"{target} ({native.machine()}): {listed}")]


def check_models(s: Settings, load: bool, say: Callable[[str], None]) -> list[Check]:
    out: list[Check] = []
    u = s.understanding
    if u.mode != "parser-only":
        out += check_native()
        if not u.model_path.exists():
            out.append(Check("language model", False, f"{u.model_path} is missing", "run: make models"))
        elif load:
            from assistant.errors import ModelError
            from assistant.runtime import model_settings
            from assistant.understanding.model import ModelClient

            model = ModelClient(model_settings(s))

            def start() -> None:
                if not model.start().wait(u.start_timeout_s):
                    raise ModelError(f"not ready after {u.start_timeout_s:.0f} s: {model.status.detail}")

            try:
                secs = _timed(u.model_path.name, start, say)
                model.understand("turn on the air conditioning", "driver")
                out.append(Check("language model", True, f"{u.model_path.name} ready in its worker process "
                                 f"(pid {model.status.pid}), grammar compiled ({secs:.1f} s)"))
            except Exception as err:  # noqa: BLE001 - report any failure to load
                out.append(Check("language model", False, str(err), "run: make setup; make models"))
            finally:
                model.close()
        else:
            out.append(Check("language model", True, f"{u.model_path} present ({u.model_path.stat().st_size / 1e9:.2f} GB)"))
    sp = s.speech
    if not (sp.stt_model / "model.bin").exists():
        out.append(Check("speech-to-text", False, f"no model in {sp.stt_model}", "run: make models"))
    elif load:
        from assistant.speech.stt import SpeechToText

        stt = SpeechToText.from_settings(s)
        try:
            secs = _timed(sp.stt_model.name, stt.load, say)
            out.append(Check("speech-to-text", True, f"{sp.stt_model.name} loaded ({secs:.1f} s)"))
        except Exception as err:  # noqa: BLE001
            out.append(Check("speech-to-text", False, str(err), "pip install 'carvoice[speech]'; make models"))
    else:
        out.append(Check("speech-to-text", True, f"{sp.stt_model} present"))
    from assistant.speech.errors import TextToSpeechError
    from assistant.speech.tts import TextToSpeech, find_voice

    try:
        voice = TextToSpeech(find_voice(sp.voice, list(sp.voice_dirs)))
        if load:
            secs = _timed(sp.voice, voice.load, say)
            out.append(Check("voice", True, f"{voice.voice_path.name} loaded ({secs:.1f} s)"))
        else:
            out.append(Check("voice", True, str(voice.voice_path)))
    except TextToSpeechError as err:
        out.append(Check("voice", False, str(err), "run: make models, or set speech.voice"))
    return out


def check_audio(s: Settings) -> list[Check]:
    from assistant.errors import CarvoiceError
    from assistant.speech.devices import find_device, list_devices

    try:
        devices = list_devices()
    except CarvoiceError as err:
        return [Check("audio", False, str(err), "apt-get install libportaudio2; pip install sounddevice")]
    inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
    outputs = [d["name"] for d in devices if d["max_output_channels"] > 0]
    out = [Check("audio devices", True, f"{len(inputs)} input(s), {len(outputs)} output(s)")]
    for kind, name in (("input", s.speech.input_device), ("output", s.speech.output_device)):
        if name is None:
            continue
        try:
            find_device(name, kind=kind)
            out.append(Check(f"{kind} device", True, name))
        except CarvoiceError as err:
            out.append(Check(f"{kind} device", False, str(err), f"pick one of: {', '.join(inputs if kind == 'input' else outputs)}"))
    if not inputs:
        out.append(Check("microphone", True, "none: the service takes text from the console and MQTT"))
    return out


def check_can(s: Settings) -> list[Check]:
    from assistant.runtime import open_car

    async def probe() -> Check:
        try:
            car = await asyncio.wait_for(open_car(s), 10)
        except Exception as err:  # noqa: BLE001
            fix = {"socketcand": f"start the simulator: carvoice sim --port {s.vehicle.port}",
                   "socketcan": f"bring up the bus: ip link set {s.vehicle.channel} up type can bitrate 500000"}
            return Check("CAN transport", False, str(err), fix.get(s.vehicle.interface, ""))
        try:
            seen = len([p for p, v in car.gateway.state.items()])
            return Check("CAN transport", True, f"{car.gateway.describe}: {seen} signals reported by the ECUs")
        finally:
            await car.close()

    return [asyncio.run(probe())]


def check_broker(s: Settings) -> list[Check]:
    if not s.mqtt.enabled:
        return [Check("MQTT broker", True, "disabled")]
    import aiomqtt

    from assistant.service import mqtt_settings

    async def probe() -> Check:
        m = mqtt_settings(s)
        from assistant.mqtt import MqttLink

        client = MqttLink(m, dict, lambda n, c: asyncio.sleep(0))._client_for(m)
        try:
            async with asyncio.timeout(6):
                async with client:
                    pass
        except (aiomqtt.MqttError, TimeoutError, OSError) as err:
            why = str(err) or type(err).__name__
            fix = "check mqtt.username/password_file" if "auth" in why.lower() or "not authorized" in why.lower() \
                else f"start a broker on {m.host}:{m.port} (apt-get install mosquitto) or set mqtt.enabled = false"
            return Check("MQTT broker", False, f"{m.host}:{m.port}: {why}", fix)
        return Check("MQTT broker", True, f"{m.host}:{m.port} accepted the connection")

    async def service_model() -> Check | None:
        """The running service's own word on its model (the retained ``status/model``), if it said any."""
        m = mqtt_settings(s)
        from assistant.mqtt import MqttLink

        client = MqttLink(m, dict, lambda n, c: asyncio.sleep(0))._client_for(m)
        try:
            async with asyncio.timeout(3), client:
                await client.subscribe(f"{m.base}/status/model", qos=1)
                async for message in client.messages:
                    import json

                    raw = message.payload
                    status = json.loads(bytes(raw) if isinstance(raw, (bytes, bytearray)) else str(raw))
                    state = status.get("state")
                    detail = status.get("detail") or ""
                    ok = state in ("ready", "off")
                    return Check("service's model", ok, f"{state}" + (f": {detail}" if detail else "")
                                 + (f" (last error {status['last_error']})" if status.get("last_error") else ""),
                                 "" if ok else "the service restarts it by itself; see: journalctl -u carvoice")
        except (aiomqtt.MqttError, TimeoutError, OSError, ValueError):
            return None
        return None

    first = asyncio.run(probe())
    if not first.ok:
        return [first]
    model = asyncio.run(service_model())
    return [first] + ([model] if model is not None else [])


def run_doctor(config: Path | None, *, load: bool, say: Callable[[str], None]) -> int:
    """Print every check; exit status 0 when all pass, 1 otherwise, 2 when the config is invalid."""
    from assistant.config import load_settings
    from assistant.errors import ConfigError

    try:
        s = load_settings(config)
    except ConfigError as err:
        say(f"✗ configuration: {err}")
        return 2
    say(f"✓ configuration: {config or 'defaults'} (+ CARVOICE_* environment)")
    checks: list[Check] = []
    for group in (lambda: check_models(s, load, say), lambda: check_audio(s), lambda: check_can(s),
                  lambda: check_broker(s)):
        with contextlib.suppress(KeyboardInterrupt):
            for c in group():
                checks.append(c)
                say(f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}" + (f"\n    fix: {c.fix}" if not c.ok and c.fix else ""))
    failed = [c for c in checks if not c.ok]
    say(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
