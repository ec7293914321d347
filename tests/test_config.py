"""One configuration: TOML plus environment, every key documented, examples that load."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import load_settings, render_example
from assistant.errors import ConfigError
from tests.broker import ACL
from tests.conftest import ROOT


def test_the_committed_reference_lists_every_key_with_its_default() -> None:
    assert (ROOT / "config" / "carvoice.example.toml").read_text() == render_example()


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[vehicle]\ninterface = "socketcand"\nport = 1111\n')
    monkeypatch.setenv("CARVOICE_VEHICLE__PORT", "2222")
    s = load_settings(config)
    assert s.vehicle.interface == "socketcand" and s.vehicle.port == 2222


@pytest.mark.parametrize("text", ["[vehicle]\nport = 0\n", "[nope]\nx = 1\n", "not toml = [", '[mqtt]\nvehicle_id = "a/b"\n'])
def test_invalid_configuration_is_a_clear_error(tmp_path: Path, text: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(ConfigError):
        load_settings(config)


def test_production_example_uses_tls_a_password_file_and_the_real_bus() -> None:
    s = load_settings(ROOT / "config" / "production.toml")
    assert s.mqtt.tls and s.mqtt.password_file and s.mqtt.username and s.mqtt.password is None
    assert s.vehicle.interface == "socketcan" and s.vehicle.channel == "can0"


def test_the_acl_example_is_the_one_the_tests_enforce() -> None:
    lines = [l for l in (ROOT / "config" / "mosquitto-acl.example").read_text().splitlines() if l and not l.startswith("#")]
    assert lines == [l for l in ACL.strip().splitlines() if l]
