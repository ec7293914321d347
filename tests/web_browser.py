"""Helpers of the web view's tests: a real ``carvoice run`` serving its page, and headless Debian Chromium.

Nothing downloads a browser: selenium drives ``/usr/bin/chromium`` through ``/usr/bin/chromedriver``
(the Debian packages ``chromium`` and ``chromium-driver`` that ``scripts/setup-system.sh`` installs).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import can

from tests.conftest import PYTHON, free_port
from vehicle.signals import VssValue, default_catalog

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VIEWPORT = (1280, 800)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing: install the Debian package {package} (scripts/setup-system.sh does)"
    return None


def chromium() -> Any:
    """Headless Chromium with a 1280x800 viewport, its console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-extensions", "--no-first-run", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
    driver.set_script_timeout(30)
    return driver


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebService:
    """A running ``carvoice run`` and how to reach its page."""

    process: subprocess.Popen[bytes]
    port: int
    token: str | None
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def http(self, method: str, path: str, body: bytes | dict[str, Any] | list[Any] | None = None, *,
             headers: dict[str, str] | None = None, auth: bool = True) -> Reply:
        """A request to the page's server (with the right token unless ``auth`` is false)."""
        sent = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        if auth and self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read(1 << 20) if not path.startswith("/api/events") or response.status != 200 \
                else response.readline()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()

    def snapshot(self) -> dict[str, Any]:
        reply = self.http("GET", "/api/snapshot")
        assert reply.status == 200, reply
        return reply.json()  # type: ignore[no-any-return]

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def web_service(folder: Path, *, can_port: int | None = None, mqtt_port: int | None = None,
                token: str | None = None, extra: dict[str, str] | None = None,
                wait: bool = True) -> Iterator[WebService]:
    """``carvoice run`` as tests/test_service.py starts it, with its page on a free loopback port.

    ``can_port``: the car is a ``carvoice sim`` there (socketcand), else the embedded simulator;
    ``mqtt_port``: a real mosquitto, else MQTT off. Console, microphone and speaker are off.
    """
    port = free_port()
    env = {
        **os.environ, "CARVOICE_UNDERSTANDING__MODE": "parser-only", "CARVOICE_SERVICE__CONSOLE": "false",
        "CARVOICE_SERVICE__MICROPHONE": "false", "CARVOICE_SERVICE__SPEAKER": "false",
        "CARVOICE_WEB__PORT": str(port), "CARVOICE_WEB__HOST": "127.0.0.1",
    }
    if can_port is not None:
        env.update(CARVOICE_VEHICLE__INTERFACE="socketcand", CARVOICE_VEHICLE__PORT=str(can_port))
    if mqtt_port is not None:
        env["CARVOICE_MQTT__PORT"] = str(mqtt_port)
    else:
        env["CARVOICE_MQTT__ENABLED"] = "false"
    if token is not None:
        env["CARVOICE_WEB__TOKEN"] = token
    env.update(extra or {})
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"service-{port}.log"
    with log.open("wb") as err:
        process = subprocess.Popen([PYTHON, "-m", "assistant.cli", "-v", "run"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=err)
    service = WebService(process, port, token, log)
    try:
        if wait:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"carvoice run ended ({process.returncode}): {service.stderr()[-3000:]}")
                try:
                    if service.http("GET", "/api/snapshot").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the page never answered: {service.stderr()[-3000:]}")
                time.sleep(0.2)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        text = service.stderr()
        assert "Traceback" not in text, text[-3000:]
        assert process.returncode == 0, text[-3000:]


def wait_until(check: Callable[[], Any], what: str, seconds: float = 15) -> Any:
    """The first truthy result of ``check``; fails naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}; last saw {last!r}")


def shown(driver: Any, path: str) -> str:
    """The text the page shows for a VSS path (its first element)."""
    return str(driver.execute_script(
        "const el = document.querySelector(`[data-path=\"${arguments[0]}\"]`);"
        "return el ? (el.querySelector('[data-text]') || el).textContent : null;", path))


def wait_shown(driver: Any, path: str, text: str, seconds: float = 15) -> None:
    """Wait until the page shows ``text`` for ``path``."""
    wait_until(lambda: shown(driver, path) == text or None, f"{path} to show {text!r} (shows {shown(driver, path)!r})",
               seconds)


def open_page(driver: Any, url: str) -> None:
    """Load the page and wait for its first snapshot."""
    driver.get(url)
    wait_until(lambda: driver.execute_script("return Boolean(window.carvoiceView && window.carvoiceView.ready)"),
               "the page's first snapshot")


def turns(driver: Any) -> list[dict[str, str]]:
    """The conversation as the page shows it: each turn's id and text."""
    return list(driver.execute_script(
        "return [...document.querySelectorAll('#log > li')].map(li => ({id: li.dataset.interaction,"
        " text: li.innerText}));"))


def car_value(can_port: int, path: str, seconds: float = 5) -> VssValue:
    """What the simulated car's ECU reports for ``path`` now, read from its status frame on the bus."""
    catalog = default_catalog()
    status = catalog.status_message(path).frame_id
    bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=can_port)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = bus.recv(0.5)
            if msg is not None and msg.arbitration_id == status:
                return catalog.decode_status(status, bytes(msg.data))[path]
    finally:
        bus.shutdown()
    raise AssertionError(f"no status frame for {path}")


def command_from_another_process(can_port: int, path: str, value: float) -> None:
    """Another head unit on the bus (its own process) commands ``path`` and waits for the confirmation."""
    from tests.test_socketcand import CLIENT

    out = subprocess.run([PYTHON, "-c", CLIENT, path, str(value), str(can_port)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"confirmed": value}, out.stderr
