"""Layering rules that no reviewer should have to remember."""

from __future__ import annotations

import ast
import subprocess

from tests.conftest import PYTHON, ROOT


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_vehicle_never_imports_assistant() -> None:
    offenders = {f: n for f, n in _imports("vehicle").items() if any(m.split(".")[0] == "assistant" for m in n)}
    assert not offenders


def test_vehicle_has_no_machine_learning_dependency() -> None:
    heavy = {"llama_cpp", "faster_whisper", "ctranslate2", "piper", "onnxruntime", "numpy", "sounddevice", "pydantic"}
    offenders = {f: n & heavy for f, n in _imports("vehicle").items() if {m.split(".")[0] for m in n} & heavy}
    assert not offenders


def test_importing_vehicle_loads_no_assistant_module() -> None:
    code = (
        "import sys, vehicle.gateway, vehicle.sim, vehicle.sim.server, vehicle.transport;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('assistant', 'llama_cpp', 'pydantic')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_module_imports_another_modules_private_names() -> None:
    import re

    offenders = []
    for path in (ROOT / "assistant").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"\s*from (assistant[\w.]*|vehicle[\w.]*) import (.+)", line)
            if m and any(name.strip().split(" as ")[0].startswith("_") for name in m[2].strip("()").split(",")):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, offenders
