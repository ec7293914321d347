"""The llama.cpp build: a portable baseline by default, named after its flags, checked after install."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import native
from assistant.doctor import check_native

STAMP = Path(sys.prefix) / "carvoice-llama.json"


def test_the_portable_flags_are_a_fixed_baseline_without_native_avx512_or_amx() -> None:
    x86 = native.cmake_args("portable", "x86_64")
    assert "-DGGML_NATIVE=OFF" in x86 and "-DGGML_NATIVE=ON" not in x86
    for on in ("AVX", "AVX2", "FMA", "F16C"):
        assert f"-DGGML_{on}=ON" in x86
    for off in ("AVX512", "AVX512_VNNI", "AVX_VNNI", "AMX_TILE", "AMX_INT8", "AMX_BF16"):
        assert f"-DGGML_{off}=OFF" in x86
    arm = native.cmake_args("portable", "aarch64")
    assert "-DGGML_NATIVE=OFF" in arm and f"-DGGML_CPU_ARM_ARCH={native.AARCH64_BASELINE}" in arm
    assert "-DGGML_NATIVE=ON" in native.cmake_args("native", "x86_64")
    with pytest.raises(ValueError, match="no portable baseline"):
        native.cmake_args("portable", "riscv64")
    with pytest.raises(ValueError, match="unknown"):
        native.cmake_args("fastest")


def test_a_build_is_named_after_its_flags_so_no_other_build_is_reused() -> None:
    a = native.build_tag("0.3.36", "portable", native.cmake_args("portable", "x86_64"), "x86_64")
    assert a == native.build_tag("0.3.36", "portable", native.cmake_args("portable", "x86_64"), "x86_64")
    assert a != native.build_tag("0.3.36", "native", native.cmake_args("native", "x86_64"), "x86_64")
    assert a != native.build_tag("0.3.37", "portable", native.cmake_args("portable", "x86_64"), "x86_64")
    assert a != native.build_tag("0.3.36", "portable", [*native.cmake_args("portable", "x86_64"), "-DX=1"], "x86_64")


def test_features_are_read_from_the_library_and_checked_against_the_cpu(tmp_path: Path) -> None:
    info = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AMX_INT8 = 1 |" \
           " LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
    features = native.reported_features(info)
    assert features == {"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2", "AVX512", "AMX_INT8"}
    assert native.portable_problems(features, "x86_64") == ["AMX_INT8 is compiled in", "AVX512 is compiled in"]
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu pni ssse3 avx avx2 f16c fma bmi2\n")
    assert native.unsupported(features, native.cpu_flags(cpuinfo)) == ["AMX_INT8", "AVX512"]
    assert native.unsupported({"AVX2"}, set()) == []  # flags unknown: no claim


def test_the_installed_library_reports_no_amx_unless_a_native_build_was_asked_for() -> None:
    pytest.importorskip("llama_cpp")
    stamp = json.loads(STAMP.read_text())  # make setup writes it; a hand-installed wheel has none
    done = subprocess.run([sys.executable, "-c", "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"],
                          capture_output=True, text=True, timeout=120, check=True)
    features = native.reported_features(done.stdout)
    assert features == set(stamp["features"])
    if stamp["target"] != "native":
        assert "AMX_INT8" not in features
        assert native.portable_problems(features) == []
    assert native.unsupported(features, native.cpu_flags()) == []


def test_doctor_prints_the_build_and_its_features() -> None:
    pytest.importorskip("llama_cpp")
    [check] = check_native()
    assert check.ok, check
    assert check.detail.startswith(json.loads(STAMP.read_text())["target"])
    assert "AVX2" in check.detail or "NEON" in check.detail


def test_doctor_fails_clearly_on_a_build_this_cpu_cannot_run() -> None:
    [check] = check_native("import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    assert not check.ok
    assert "SIGILL" in check.detail and "instructions this CPU lacks" in check.detail
    assert "LLAMA_TARGET=portable" in check.fix
