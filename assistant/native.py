"""How llama.cpp is built for a head unit, and whether a build can run on this CPU.

Standard library only: ``scripts/build_llama.py`` imports it before the project is installed.

A head unit's CPU is not the build machine's, so the default build is *portable*: a fixed
instruction-set baseline per architecture, never ``-march=native``. On x86-64 that is
x86-64-v3 (Haswell, 2013, and every later x86-64 CPU of a head unit: AVX, AVX2, FMA, F16C,
BMI2, SSE4.2), with AVX-512, AVX-VNNI and AMX off. AMX is off for a second reason: llama.cpp's
AMX int8 matrix multiply crashes on Q4_K_M weights (ggml-org/llama.cpp#20824). On aarch64 it
is ARMv8.2-A with the dot product and half-precision extensions (Cortex-A55/A76 and later,
the cores of current automotive SoCs). A *native* build (``make setup LLAMA_TARGET=native``)
optimises for the build machine's own CPU and is for a known target only.
"""

from __future__ import annotations

import hashlib
import platform
import re
from pathlib import Path

TARGETS = ("portable", "native")

# Options that never depend on the target: no LLaVA, no curl, the CPU backend linked in.
_COMMON = ("-DLLAVA_BUILD=OFF", "-DGGML_BACKEND_DL=OFF", "-DGGML_CPU_ALL_VARIANTS=OFF")

_X86_ON = ("SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2")
_X86_OFF = ("AVX_VNNI", "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_TILE", "AMX_INT8", "AMX_BF16")
AARCH64_BASELINE = "armv8.2-a+dotprod+fp16"

# The features llama.cpp's ``llama_print_system_info()`` reports, by the CPU flag each needs
# (/proc/cpuinfo "flags" on x86-64, "Features" on aarch64).
CPU_FLAG = {
    "SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
    "NEON": "asimd", "ARM_FMA": "asimd", "FP16_VA": "asimdhp", "DOTPROD": "asimddp",
    "MATMUL_INT8": "i8mm", "SVE": "sve", "SME": "sme",
}

# What a portable build must report, and must not.
PORTABLE_EXPECTED = {
    "x86_64": {"AVX", "AVX2", "FMA", "F16C"},
    "aarch64": {"NEON", "DOTPROD"},
}
PORTABLE_FORBIDDEN = {
    "x86_64": {"AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AVX_VNNI", "AMX_INT8"},
    "aarch64": {"SVE", "SME", "MATMUL_INT8"},
}


def machine() -> str:
    """The CPU architecture, spelled as the tables above spell it."""
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def cmake_args(target: str, arch: str | None = None) -> list[str]:
    """The CMake options for llama.cpp for ``target`` (portable or native) on ``arch``."""
    if target not in TARGETS:
        raise ValueError(f"unknown llama.cpp build target {target!r}: choose one of {', '.join(TARGETS)}")
    arch = arch or machine()
    args = list(_COMMON)
    if target == "native":
        return [*args, "-DGGML_NATIVE=ON"]
    args.append("-DGGML_NATIVE=OFF")
    if arch == "x86_64":
        args += [f"-DGGML_{f}=ON" for f in _X86_ON] + [f"-DGGML_{f}=OFF" for f in _X86_OFF]
    elif arch == "aarch64":
        args.append(f"-DGGML_CPU_ARM_ARCH={AARCH64_BASELINE}")
    else:
        raise ValueError(f"no portable baseline is defined for {arch}; build with LLAMA_TARGET=native")
    return args


def build_tag(version: str, target: str, args: list[str], arch: str | None = None) -> str:
    """A name for a build that changes whenever the version, target, architecture or flags do."""
    arch = arch or machine()
    digest = hashlib.sha256("\n".join([version, target, arch, *args]).encode()).hexdigest()[:12]
    return f"{version}-{target}-{arch}-{digest}"


def reported_features(system_info: str) -> set[str]:
    """The CPU features a ``llama_print_system_info()`` text says are compiled in (``X = 1``)."""
    return {name for name, value in re.findall(r"\b([A-Z][A-Z0-9_]*) = (\w+)", system_info)
            if name in CPU_FLAG and value not in ("0", "")}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """This CPU's instruction-set flags (empty when they cannot be read)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return flags


def unsupported(features: set[str], flags: set[str]) -> list[str]:
    """The compiled-in features this CPU lacks (a build with any of them dies of SIGILL)."""
    if not flags:
        return []
    return sorted(f for f in features if CPU_FLAG[f] not in flags)


def portable_problems(features: set[str], arch: str | None = None) -> list[str]:
    """Why a library's features are not those of the portable build (empty when they are)."""
    arch = arch or machine()
    problems = [f"{f} is compiled in" for f in sorted(features & PORTABLE_FORBIDDEN.get(arch, set()))]
    problems += [f"{f} is missing" for f in sorted(PORTABLE_EXPECTED.get(arch, set()) - features)]
    return problems
