"""The systemd unit: verified, hardened (exposure <= 2.0), and the notify protocol spoken by the service."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from assistant.sdnotify import notify, watchdog_interval
from tests.conftest import ROOT

UNIT = ROOT / "systemd" / "carvoice.service"
needs_systemd = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")


def local_unit(tmp_path: Path) -> Path:
    """The shipped unit with ExecStart pointing at this checkout's carvoice (verify checks it exists)."""
    exe = Path(shutil.which("carvoice") or ROOT / ".venv" / "bin" / "carvoice")
    unit = tmp_path / "carvoice.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/carvoice", str(exe)))
    return unit


@needs_systemd
def test_unit_verifies_without_any_warning(tmp_path: Path) -> None:
    out = subprocess.run(["systemd-analyze", "verify", str(local_unit(tmp_path))], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr  # it exits 0 on unknown keys


@needs_systemd
def test_unit_exposure_is_at_most_2(tmp_path: Path) -> None:
    out = subprocess.run(["systemd-analyze", "security", "--offline=true", str(local_unit(tmp_path))],
                         capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
    assert match, out.stdout[-2000:] + out.stderr
    assert float(match.group(1)) <= 2.0


def test_unit_keeps_what_the_service_needs() -> None:
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "DynamicUser=yes", "ProtectSystem=strict",
                 "PrivateTmp=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "AF_CAN", "DeviceAllow=char-alsa",
                 "IPAddressAllow=localhost", "SystemCallFilter="):
        assert line in text, line


def test_notify_sends_datagrams_to_the_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "n.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        for state in ("READY=1", "WATCHDOG=1", "STOPPING=1"):
            assert notify(state)
            assert server.recv(64).decode() == state


def test_notify_without_systemd_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval() is None
