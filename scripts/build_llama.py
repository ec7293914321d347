#!/usr/bin/env python3
"""Builds llama-cpp-python for a head unit and installs exactly that build into the venv.

    .venv/bin/python scripts/build_llama.py [--target portable|native]

The target comes from ``--target`` or ``LLAMA_TARGET`` (default ``portable``; the flags are in
``assistant/native.py``). The wheel is built from the source distribution, never taken from
pip's wheel cache (which ignores ``CMAKE_ARGS`` and hands a wheel built for one CPU to
another), into a project-local wheelhouse named after the version, target, architecture and
flags: ``.cache/llama-wheels/<tag>/``. A second run with the same flags reinstalls from there
in seconds. After installing, the library's ``llama_print_system_info()`` is read in a child
process and checked against the target; a mismatch removes the wheel and fails.
Standard library only (it runs before the project is installed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import native  # noqa: E402 - standard library only, importable before installing

WHEELS = ROOT / ".cache" / "llama-wheels"
STAMP = Path(sys.prefix) / "carvoice-llama.json"
PROBE = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"


def pinned_version() -> str:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["llm"]
    [req] = [r for r in extras if r.startswith("llama-cpp-python==")]
    return req.split("==", 1)[1]


def system_info() -> str:
    """The installed library's own report of its compiled-in CPU features (in a child: a SIGILL stays there)."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"build_llama: the installed llama_cpp does not load (exit {done.returncode}):\n"
                         f"{done.stderr.strip()[-2000:]}")
    return done.stdout.strip()


def build(version: str, args: list[str], house: Path) -> Path:
    house.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CMAKE_ARGS": " ".join(args), "FORCE_CMAKE": "1",
           "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)}
    print(f"build_llama: compiling llama-cpp-python {version} ({' '.join(args)}); about 10 minutes on 2 cores",
          flush=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir",
                    "--no-binary", "llama-cpp-python", "-w", str(house), f"llama-cpp-python=={version}"],
                   env=env, check=True)
    return wheel_in(house)


def wheel_in(house: Path) -> Path:
    found = sorted(house.glob("llama_cpp_python-*.whl"))
    if len(found) != 1:
        raise SystemExit(f"build_llama: expected one wheel in {house}, found {len(found)}")
    return found[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default=os.environ.get("LLAMA_TARGET") or "portable", choices=native.TARGETS)
    opts = ap.parse_args()
    version = pinned_version()
    args = native.cmake_args(opts.target)
    tag = native.build_tag(version, opts.target, args)
    try:
        installed = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        installed = {}
    if installed.get("tag") == tag and subprocess.run(
            [sys.executable, "-c", "import llama_cpp"], capture_output=True, check=False).returncode == 0:
        return 0
    house = WHEELS / tag
    wheel = wheel_in(house) if list(house.glob("*.whl")) else build(version, args, house)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", "--no-index",
                    str(wheel)], check=True)
    # llama-cpp-python's own dependencies (numpy, jinja2, diskcache, typing-extensions), from the index
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"llama-cpp-python=={version}",
                    "--find-links", str(house), "--only-binary", "llama-cpp-python"], check=True)
    info = system_info()
    features = native.reported_features(info)
    problems = native.portable_problems(features) if opts.target == "portable" else []
    lacking = native.unsupported(features, native.cpu_flags())
    if problems or lacking:
        shutil.rmtree(house, ignore_errors=True)
        STAMP.unlink(missing_ok=True)
        why = "; ".join(problems + [f"this CPU lacks {f}" for f in lacking])
        raise SystemExit(f"build_llama: the {opts.target} build is wrong ({why}); removed {house}. "
                         f"llama.cpp says: {info}")
    STAMP.write_text(json.dumps({"tag": tag, "target": opts.target, "cmake_args": args,
                                 "features": sorted(features), "system_info": info}, indent=1) + "\n")
    print(f"build_llama: llama-cpp-python {version} {opts.target} build installed: {', '.join(sorted(features))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
