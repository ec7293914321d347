#!/usr/bin/env python3
"""Compares the recognisers side by side, in one run, through the whole assistant.

    .venv/bin/python scripts/compare_stt.py --out /tmp/stt.md
    .venv/bin/python scripts/compare_stt.py --only base-b5,moonshine --cases my.jsonl

For each engine (whisper tiny.en and base at beam 1 and 5, Moonshine base), chosen only by
environment overrides of the configuration (``CARVOICE_SPEECH__STT_ENGINE``, ``..._STT_MODEL``,
``..._BEAM_SIZE``), it runs ``carvoice batch --no-speech --understanding parser-only`` once on each of:

- the evaluation set spoken by espeak-ng, clean and with brown road noise (``--snr``), made with
  ``../shared/eval/score.py``'s own ``speak`` and judged with its own ``verdict``/``wrong_action``
  (the same rules as ``score.py``): accuracy, wrong and unsafe actions, word error rate against the
  cases' text;
- the real human recordings of ``tests/data/voices``: word error rate against their transcripts.

The spoken WAVs are made once and cached (``--cache``, keyed by the cases file and the SNR), so every
engine hears the same audio, noise included. The understanding is the parser alone (no language
model), so that the figures measure the recogniser and a run stays within half an hour on 2 cores;
``ms`` is the median speech-to-text time per utterance (``ms.stt`` of the result lines) over
every utterance the engine heard in the run. The table is printed as Markdown and written to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.voices import load_voices, wer  # noqa: E402

SCORE = ROOT.parent / "shared" / "eval" / "score.py"
MODELS = ROOT / "models"
OVERRIDDEN = ("CARVOICE_SPEECH__STT_ENGINE", "CARVOICE_SPEECH__STT_MODEL", "CARVOICE_SPEECH__BEAM_SIZE")


@dataclass(frozen=True)
class Engine:
    """One recogniser as environment overrides of the configuration."""

    key: str
    label: str
    env: dict[str, str]


def whisper(model: str, beam: int) -> dict[str, str]:
    return {"CARVOICE_SPEECH__STT_ENGINE": "whisper", "CARVOICE_SPEECH__STT_MODEL": str(MODELS / model),
            "CARVOICE_SPEECH__BEAM_SIZE": str(beam)}


ENGINES = [
    Engine("tiny-b1", "whisper tiny.en, beam 1", whisper("whisper-tiny.en", 1)),
    Engine("tiny-b5", "whisper tiny.en, beam 5", whisper("whisper-tiny.en", 5)),
    Engine("base-b1", "whisper base, beam 1", whisper("whisper-base", 1)),
    Engine("base-b5", "whisper base, beam 5 (default)", whisper("whisper-base", 5)),
    Engine("moonshine", "Moonshine base (moonshine-cpp 0.1.4)", {"CARVOICE_SPEECH__STT_ENGINE": "moonshine"}),
]


def scorer():  # type: ignore[no-untyped-def]
    """``../shared/eval/score.py`` as a module (its ``speak``, ``verdict``, ``wrong_action``, ``SAFETY``)."""
    spec = importlib.util.spec_from_file_location("eval_score", SCORE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Spoken:
    """One spoken set: the cases as score.py reads them and the requests carrying cached WAVs."""

    label: str
    cases: list[dict]
    requests: list[dict]


def spoken_set(score, cases_path: Path, snr: float | None, cache: Path) -> Spoken:  # type: ignore[no-untyped-def]
    """The cases, spoken once with score.py's ``speak`` (espeak-ng, sox) into ``cache`` and reused."""
    cases = [json.loads(line) for line in cases_path.read_text().splitlines() if line.strip()]
    key = hashlib.sha256(cases_path.read_bytes()).hexdigest()[:12]
    label = "clean" if snr is None else f"snr{snr:g}"
    folder = cache / f"{cases_path.stem}-{key}-{label}"
    requests = [{k: c[k] for k in score.REQUEST_KEYS if k in c} for c in cases]
    done = folder / "requests.jsonl"
    if done.is_file():
        return Spoken(label, cases, [json.loads(line) for line in done.read_text().splitlines()])
    print(f"{now()} speaking {len(cases)} cases ({label}) into {folder}", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(dir=cache))
    score.speak(requests, "espeak-ng", snr, str(tmp))
    for r in requests:  # keep the mixed WAVs only, named by case id
        wav = Path(r["audio"])
        for extra in tmp.glob(wav.name.replace(".wav", ".*.wav")):
            extra.unlink()
        r["audio"] = str(folder / wav.name)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    done.write_text("".join(json.dumps(r) + "\n" for r in requests))
    return Spoken(label, cases, requests)


@dataclass
class Row:
    """What was measured for one engine."""

    engine: Engine
    accuracy: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, int] = field(default_factory=dict)
    unsafe: dict[str, int] = field(default_factory=dict)
    wer: dict[str, float] = field(default_factory=dict)
    stt_ms: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def now() -> str:
    return f"{datetime.datetime.now(datetime.UTC):%H:%M:%S}"


def batch(engine: Engine, requests: list[dict], timeout: float) -> dict[str, dict] | None:
    """``carvoice batch`` (parser only, no reply speech) with the engine's overrides; result lines by id."""
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDDEN} | engine.env
    feed = "".join(json.dumps(r) + "\n" for r in requests)
    cmd = [sys.executable, "-m", "assistant.cli", "batch", "--no-speech", "--understanding", "parser-only"]
    run = subprocess.run(cmd, input=feed, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                         check=False)
    results: dict[str, dict] = {}
    for line in run.stdout.splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(r, dict) and "id" in r:
            results[json.dumps(r["id"])] = r
    if run.returncode != 0:
        print(f"{engine.key}: batch exited {run.returncode}\n{run.stderr[-1500:]}", file=sys.stderr)
        return None
    return results


def measure_spoken(score, engine: Engine, s: Spoken, row: Row, timeout: float) -> None:  # type: ignore[no-untyped-def]
    results = batch(engine, s.requests, timeout)
    if results is None:
        row.failed.append(s.label)
        return
    ok = wrong = unsafe = 0
    pairs = []
    for c in s.cases:
        r = results.get(json.dumps(c["id"]), {})
        why = score.verdict(c, r) if r else "no result line"
        if not why:
            ok += 1
        else:
            wrong += score.wrong_action(c, r)
            changes = r.get("changes")
            if c.get("category") in score.SAFETY and isinstance(changes, dict) and \
                    set(changes) - set(c["expect"]) - {score.NAME}:
                unsafe += 1
        pairs.append((c.get("text") or "", r.get("transcript") or ""))
        stt = (r.get("ms") or {}).get("stt")
        if isinstance(stt, (int, float)):
            row.stt_ms.append(float(stt))
    row.accuracy[s.label] = f"{100 * ok / len(s.cases):.1f} % ({ok}/{len(s.cases)})"
    row.wrong[s.label], row.unsafe[s.label] = wrong, unsafe
    row.wer[s.label] = wer(pairs)


def measure_voices(engine: Engine, row: Row, timeout: float) -> None:
    voices = load_voices()
    results = batch(engine, [{"id": i, "audio": str(v.path)} for i, v in enumerate(voices)], timeout)
    if results is None or len(results) != len(voices):
        row.failed.append("voices")
        return
    pairs = [(v.text, results[json.dumps(i)].get("transcript") or "") for i, v in enumerate(voices)]
    row.wer["voices"] = wer(pairs)
    for r in results.values():
        stt = (r.get("ms") or {}).get("stt")
        if isinstance(stt, (int, float)):
            row.stt_ms.append(float(stt))


def table(rows: list[Row], labels: list[str]) -> str:
    clean, noisy = labels
    head = (f"| recogniser | spoken dev, accuracy | {noisy.removeprefix('snr')} dB road noise, accuracy | "
            "wrong / unsafe (clean; noisy) | WER spoken dev (clean; noisy) | WER real voices | STT ms, median |")
    lines = [head, "|---|---|---|---|---|---|---|"]

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    for r in rows:
        ms = f"{statistics.median(r.stt_ms):.0f}" if r.stt_ms else "-"
        lines.append(
            f"| {r.engine.label} | {r.accuracy.get(clean, 'failed')} | {r.accuracy.get(noisy, 'failed')} | "
            f"{r.wrong.get(clean, '?')} / {r.unsafe.get(clean, '?')}; {r.wrong.get(noisy, '?')} / "
            f"{r.unsafe.get(noisy, '?')} | {pct(r.wer.get(clean))}; {pct(r.wer.get(noisy))} | "
            f"{pct(r.wer.get('voices'))} | {ms} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl",
                    help="evaluation set to speak (default: ../shared/eval/dev.jsonl)")
    ap.add_argument("--only", help="comma-separated engines: " + ", ".join(e.key for e in ENGINES))
    ap.add_argument("--snr", type=float, default=10.0, help="signal-to-noise ratio of the noisy run, dB")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "carvoice-compare-stt",
                    help="where the spoken WAVs are kept between runs")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    ap.add_argument("--timeout", type=float, default=1800, help="longest one batch run may take, seconds")
    args = ap.parse_args()

    keys = args.only.split(",") if args.only else [e.key for e in ENGINES]
    unknown = set(keys) - {e.key for e in ENGINES}
    if unknown:
        ap.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    if not SCORE.is_file():
        ap.error(f"no scorer at {SCORE}")
    if not args.cases.is_file():
        ap.error(f"no cases at {args.cases}")
    score = scorer()
    args.cache.mkdir(parents=True, exist_ok=True)
    sets = [spoken_set(score, args.cases, None, args.cache), spoken_set(score, args.cases, args.snr, args.cache)]
    started = datetime.datetime.now(datetime.UTC)
    rows = []
    for engine in (e for e in ENGINES if e.key in keys):
        row = Row(engine)
        for s in sets:
            print(f"{now()} {engine.key}: {s.label}", file=sys.stderr, flush=True)
            measure_spoken(score, engine, s, row, args.timeout)
        print(f"{now()} {engine.key}: real voices", file=sys.stderr, flush=True)
        measure_voices(engine, row, args.timeout)
        rows.append(row)
        print(table([row], [s.label for s in sets]).splitlines()[-1], file=sys.stderr, flush=True)
    n = len(sets[0].cases)
    text = (f"Measured {started:%Y-%m-%d} with `scripts/compare_stt.py` ({args.cases.name}: {n} cases spoken by "
            f"espeak-ng, clean and at {args.snr:g} dB SNR; {len(load_voices())} real recordings; parser only; "
            f"{os.cpu_count()} CPU cores).\n\n" + table(rows, [s.label for s in sets]) + "\n")
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0 if not any(r.failed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
