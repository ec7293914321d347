"""The cabin in a browser: a real ``carvoice run``, a real car simulator, mosquitto, and headless Chromium.

Two services are started once each: one on ``carvoice sim`` (socketcand, another process, with
``--set Vehicle.Speed=30``) and a real broker, as a bench would run it; one on the embedded
simulator with a token, whose sensors the page may set. The browser is Debian's chromium through
selenium and the system chromedriver. The screenshot the README shows is made here.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import can
import pytest

from assistant.bus import EventBus
from assistant.config import WebConfig, load_settings
from assistant.errors import ConfigError
from assistant.events import ChangeEvent, ReplyEvent
from assistant.runtime import Car
from assistant.web import is_loopback
from assistant.web.feed import CabinFeed
from assistant.web.server import STATIC, page_files
from tests.broker import Broker, make_broker
from tests.conftest import ROOT, car, free_port
from tests.test_service import Notifications
from tests.test_socketcand import sim_process
from tests.web_browser import (
    WebService,
    browser_missing,
    car_value,
    chromium,
    command_from_another_process,
    open_page,
    shown,
    turns,
    wait_shown,
    wait_until,
    web_service,
)
from vehicle.signals import default_catalog

BASE = "carvoice/car1"
HVAC = "Vehicle.Cabin.HVAC.Station"
TEMP_DRIVER = f"{HVAC}.Row1.Driver.Temperature"
TEMP_PASSENGER = f"{HVAC}.Row1.Passenger.Temperature"
TEMP_REAR_RIGHT = f"{HVAC}.Row2.Passenger.Temperature"
TEMP_REAR_LEFT = f"{HVAC}.Row2.Driver.Temperature"
WINDOW_DRIVER = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
WINDOW_REAR_LEFT = "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position"
SUNROOF = "Vehicle.Cabin.Sunroof.Position"
SPEED = "Vehicle.Speed"
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
TOKEN = "cabin-view-test-token-0123456789"
SCREENSHOT = ROOT / "docs" / "web-view.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    reason = browser_missing()
    if reason is not None:
        pytest.skip(reason)
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebService, int, Broker]]:
    """``carvoice run`` on ``carvoice sim`` (its own process, speed set to 30 there) and a real mosquitto."""
    folder = tmp_path_factory.mktemp("web-bench")
    broker = make_broker(folder / "broker").start()
    can_port = free_port()
    try:
        with sim_process(can_port, "--set", "Vehicle.Speed=30"), \
                web_service(folder, can_port=can_port, mqtt_port=broker.port) as service:
            yield service, can_port, broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebService]:
    """``carvoice run`` on its embedded simulator, the page behind a token."""
    with web_service(tmp_path_factory.mktemp("web-sim"), token=TOKEN) as service:
        yield service


def severe_logs(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# -- the page, in a browser ---------------------------------------------------------------------
def test_the_page_loads_with_the_start_state(bench: tuple[WebService, int, Broker], browser: Any) -> None:
    service, _, _ = bench
    open_page(browser, service.url)
    assert shown(browser, SPEED) == "30 km/h"  # set by `carvoice sim --set` in the simulator's process
    assert shown(browser, TEMP_DRIVER) == "21.0 °C"
    assert shown(browser, f"{HVAC}.Row1.Driver.FanSpeed") == "level 3 · 30 %"
    assert shown(browser, f"{HVAC}.Row1.Driver.AirDistribution") == "→ face"
    assert shown(browser, "Vehicle.Cabin.HVAC.IsAirConditioningActive") == "on"
    assert shown(browser, "Vehicle.Cabin.HVAC.IsRearDefrosterActive") == "off"
    assert shown(browser, "Vehicle.Cabin.Seat.Row1.DriverSide.Position") == "150 mm"
    assert shown(browser, "Vehicle.Cabin.Seat.Row1.DriverSide.Backrest.Recline") == "20°"
    assert shown(browser, WINDOW_DRIVER) == "closed"
    assert shown(browser, SUNROOF) == "closed"
    assert shown(browser, CHILD_LOCK) == "off"
    assert browser.find_element("id", "route-name").text == "No route"
    assert browser.find_element("id", "route-here").text == "48.1374, 11.5755"
    ecus = browser.execute_script("return [...document.querySelectorAll('#ecus li')].map(li => li.dataset.state)")
    assert ecus == ["ok"] * 7
    assert "socketcand" in browser.find_element("id", "bus").text
    assert browser.find_element("id", "sim").get_attribute("hidden") is not None  # not the embedded simulator
    wait_until(lambda: browser.find_element("id", "link").text == "live", "the stream to be live")
    assert severe_logs(browser) == []  # no script error, no policy violation


def test_the_content_security_policy_is_sent_and_enforced(bench: tuple[WebService, int, Broker],
                                                          browser: Any) -> None:
    service, _, _ = bench
    for path in ("/", "/static/app.js", "/api/snapshot", "/no/such/page"):
        reply = service.http("GET", path)
        csp = reply.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp, path
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
    assert service.http("GET", "/no/such/page").status == 404
    open_page(browser, service.url)
    browser.get_log("browser")
    # an injected inline script does not run: the browser enforces the policy
    ran = browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.injected = 1;';"
        "document.body.append(s); return window.injected === 1;")
    assert ran is False
    assert any("Content Security Policy" in e["message"] for e in severe_logs(browser))


def test_a_request_typed_in_the_page_changes_the_car(bench: tuple[WebService, int, Broker], browser: Any) -> None:
    service, can_port, _ = bench
    open_page(browser, service.url)
    ask(browser, "passenger", "set the temperature to 24 degrees")
    wait_shown(browser, TEMP_PASSENGER, "24.0 °C")
    assert car_value(can_port, TEMP_PASSENGER) == 24.0  # the simulated car itself, read off the bus
    turn = wait_until(lambda: next((t for t in turns(browser) if "24 degrees" in t["text"] and "total" in t["text"]),
                                   None), "the request's turn")
    assert "Passenger" in turn["text"] and "typed · web" in turn["text"]
    assert "set_temperature(celsius=24" in turn["text"]
    assert "passenger temperature: 21.0 °C → 24.0 °C" in turn["text"]
    assert "The passenger side is now 24 degrees." in turn["text"]
    assert "understand" in turn["text"] and "vehicle" in turn["text"]

    # the same seat rules as any other input: the rear-left seat may not set the driver's zone
    ask(browser, "rear-left", "set the driver's temperature to 26")
    refused = wait_until(lambda: next((t for t in turns(browser) if "to 26" in t["text"] and "total" in t["text"]),
                                      None), "the refused request's turn")
    assert "refused" in refused["text"] and "Rear left" in refused["text"]
    assert shown(browser, TEMP_DRIVER) == "21.0 °C"
    assert car_value(can_port, TEMP_DRIVER) == 21.0


def test_changes_made_by_other_processes_appear(bench: tuple[WebService, int, Broker], browser: Any) -> None:
    service, can_port, broker = bench
    open_page(browser, service.url)

    async def mqtt_text(text: str) -> None:
        async with aiomqtt.Client("127.0.0.1", broker.port) as c:
            await c.subscribe(f"{BASE}/status", qos=1)
            async with asyncio.timeout(20):  # the service is subscribed once it says it is online
                async for m in c.messages:
                    if m.payload == b"online":
                        break
            await c.publish(f"{BASE}/command/text", json.dumps({"text": text, "id": "from-mqtt-1"}), qos=1)

    asyncio.run(mqtt_text("open my window"))
    wait_shown(browser, WINDOW_DRIVER, "100 %")
    turn = wait_until(lambda: next((t for t in turns(browser) if t["id"] == "from-mqtt-1" and "total" in t["text"]),
                                   None), "the MQTT request's turn")
    assert "The driver's window is now open." in turn["text"]
    assert "driver window: closed → 100 %" in turn["text"]

    # another head unit on the bus, in its own process: a command frame and the ECU's status frame
    command_from_another_process(can_port, TEMP_REAR_RIGHT, 19.5)
    wait_shown(browser, TEMP_REAR_RIGHT, "19.5 °C")
    assert not any("rear right temperature" in t["text"] for t in turns(browser))  # no request of ours did it


def test_a_reload_shows_the_same_state_and_conversation(bench: tuple[WebService, int, Broker], browser: Any) -> None:
    service, _, _ = bench
    open_page(browser, service.url)
    ask(browser, "driver", "tilt the sunroof")
    wait_shown(browser, SUNROOF, "tilted 100 %")
    wait_until(lambda: any("tilt the sunroof" in t["text"] and "total" in t["text"] for t in turns(browser)),
               "the sunroof request's turn")
    state = browser.execute_script("return window.carvoiceView.state")
    before = turns(browser)
    browser.refresh()
    wait_until(lambda: browser.execute_script("return window.carvoiceView && window.carvoiceView.ready"), "reload")
    assert browser.execute_script("return window.carvoiceView.state") == state
    after = turns(browser)
    assert [t["id"] for t in after] == [t["id"] for t in before]
    assert [t["text"] for t in after] == [t["text"] for t in before]
    assert shown(browser, SUNROOF) == "tilted 100 %" and shown(browser, TEMP_PASSENGER) == "24.0 °C"
    assert any("set the temperature to 24 degrees" in t["text"] for t in after)


def test_the_screenshot_for_the_readme(bench: tuple[WebService, int, Broker], browser: Any, tmp_path: Path) -> None:
    """The README's picture; written to docs/ only when CARVOICE_SCREENSHOT=1, so a test run leaves the checkout clean."""
    service, _, _ = bench
    open_page(browser, service.url)
    for seat, text in (("driver", "navigate to work"), ("driver", "heat my seat to level 2"),
                       ("passenger", "fan level 5 and air to the feet")):
        ask(browser, seat, text)
        wait_until(lambda t=text: any(t in x["text"] and "total" in x["text"] for x in turns(browser)), text)
    wait_shown(browser, "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling", "heating 2")
    assert browser.find_element("id", "route-name").text == "Work"
    assert browser.find_element("id", "route-distance").text == "4.6 km"
    assert browser.find_element("id", "route-direction").text.startswith("N ·")
    time.sleep(1.5)  # let the change highlights fade
    target = SCREENSHOT if os.environ.get("CARVOICE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    assert browser.save_screenshot(str(target)) and target.stat().st_size > 10_000
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [1280, 800]


# -- inputs ---------------------------------------------------------------------------------------
BAD_INPUTS: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("/api/request", b"{not json", {}, 400, "bad-request"),
    ("/api/request", json.dumps({"text": "x" * 5000}).encode(), {}, 413, "too-large"),
    ("/api/request", json.dumps({"text": "open my window", "seat": "trunk"}).encode(), {}, 400, "bad-request"),
    ("/api/request", json.dumps({"text": ""}).encode(), {}, 400, "bad-request"),
    ("/api/request", json.dumps({"text": "y" * 501}).encode(), {}, 400, "bad-request"),
    ("/api/request", json.dumps({"text": "open my window", "admin": True}).encode(), {}, 400, "bad-request"),
    ("/api/request", json.dumps(["open my window"]).encode(), {}, 400, "bad-request"),
    ("/api/request", b"[" * 3000 + b"]" * 3000, {}, 413, "too-large"),
    ("/api/request", b'{"text": ' + b"[" * 100 + b"]" * 100 + b"}", {}, 400, "bad-request"),
    ("/api/request", b"\xff\xfe{}", {}, 400, "bad-request"),
    ("/api/request", json.dumps({"text": "open my window"}).encode(), {"Content-Type": "text/plain"}, 415,
     "bad-content-type"),
    ("/api/request", json.dumps({"text": "open my window"}).encode(), {"Origin": "http://evil.example"}, 403,
     "bad-origin"),
    ("/api/request", json.dumps({"text": "open my window"}).encode(), {"Sec-Fetch-Site": "cross-site"}, 403,
     "bad-origin"),
    ("/api/request", json.dumps({"text": "open my window"}).encode(), {"Host": "evil.example"}, 403, "bad-host"),
    ("/api/ptt", json.dumps({"seat": 5}).encode(), {}, 400, "bad-request"),
    ("/api/sensor", json.dumps({"path": SPEED, "value": 10}).encode(), {}, 409, "no-simulator"),
]


def test_malformed_and_oversized_inputs_are_refused_and_change_nothing(bench: tuple[WebService, int, Broker]) -> None:
    service, _, _ = bench
    before = service.snapshot()
    for path, body, headers, status, code in BAD_INPUTS:
        sent = {"Content-Type": "application/json", **headers}
        reply = service.http("POST", path, body, headers=sent)
        assert (reply.status, reply.json()["error"]) == (status, code), (path, body[:60], reply)
        assert reply.json()["message"], reply  # a clear reason
        assert reply.headers["content-security-policy"]
    assert service.http("GET", "/api/request").status == 405
    assert service.http("PUT", "/", {}).status == 405
    after = service.snapshot()
    assert after["state"] == before["state"]
    assert after["events"] == before["events"]  # no request reached the assistant
    assert after["requests"] == before["requests"]


# -- the simulator's sensors and the token -------------------------------------------------------------
def test_the_page_sets_the_simulators_sensors_and_pushes_to_talk(simulated: WebService, browser: Any) -> None:
    browser.get(f"{simulated.url}?token={TOKEN}")
    wait_until(lambda: browser.execute_script("return Boolean(window.carvoiceView && window.carvoiceView.ready)"),
               "the page behind the token")
    assert browser.current_url == simulated.url  # the token left the address bar for an HttpOnly cookie
    assert browser.execute_script("return document.cookie") == ""
    assert browser.find_element("id", "sim").get_attribute("hidden") is None

    field = browser.find_element("id", "sim-speed")
    field.clear()
    field.send_keys("40")
    browser.find_element("css selector", 'form[data-sensor="Vehicle.Speed"] button').click()
    wait_shown(browser, SPEED, "40 km/h")
    browser.find_element("id", "sim-lock").click()
    wait_shown(browser, CHILD_LOCK, "engaged")
    assert simulated.snapshot()["state"][CHILD_LOCK] is True

    # the policy reads what the page set: the child lock keeps the rear windows closed
    ask(browser, "rear-left", "open my window")
    refused = wait_until(lambda: next((t for t in turns(browser) if "open my window" in t["text"]
                                       and "total" in t["text"]), None), "the rear request's turn")
    assert "child lock" in refused["text"]
    assert shown(browser, WINDOW_REAR_LEFT) == "closed"

    # push-to-talk goes to the service (which has no microphone here, and says so)
    browser.find_element("id", "ptt").click()
    wait_until(lambda: any("no-microphone" in t["text"] for t in turns(browser)), "the push-to-talk answer")

    # actuators, the button, unknown signals and values outside the DBC's range are refused
    for body, code in (({"path": SUNROOF, "value": 50}, "not-a-sensor"),
                       ({"path": "Vehicle.Cabin.SteeringWheel.PushToTalk", "value": True}, "not-a-sensor"),
                       ({"path": "Vehicle.Cabin.Trunk.IsOpen", "value": True}, "unknown-signal"),
                       ({"path": SPEED, "value": 700}, "out-of-range"),
                       ({"path": SPEED, "value": -1}, "out-of-range"),
                       ({"path": SPEED, "value": True}, "out-of-range"),
                       ({"path": CHILD_LOCK, "value": 1}, "out-of-range"),
                       ({"path": SPEED, "value": "40"}, "bad-request"),
                       ({"path": SPEED, "value": 40, "also": 1}, "bad-request")):
        reply = simulated.http("POST", "/api/sensor", body)
        assert (reply.status, reply.json()["error"]) == (400, code), (body, reply)
    state = simulated.snapshot()["state"]
    assert state[SPEED] == 40.0 and state[SUNROOF] == 0
    assert severe_logs(browser) == []


def test_a_wrong_token_is_refused(simulated: WebService) -> None:
    for method, path in (("GET", "/"), ("GET", "/static/app.js"), ("GET", "/api/events"), ("GET", "/api/snapshot"),
                         ("POST", "/api/request"), ("POST", "/api/sensor"), ("GET", "/no/such/page")):
        body = {"text": "open the sunroof"} if method == "POST" else None
        for headers, status in (({}, 401), ({"Authorization": "Bearer wrong-token-wrong-token"}, 403),
                                ({"Cookie": "carvoice_token=wrong-token-wrong-token"}, 403)):
            reply = simulated.http(method, path, body, headers=headers, auth=False)
            assert reply.status == status, (method, path, headers, reply)
            assert set(reply.json()) == {"error", "message"} and b"Vehicle" not in reply.body
        reply = simulated.http(method, f"{path}?token=wrong-token-wrong-token", body, auth=False)
        assert reply.status == 403, (method, path, reply)
    assert simulated.snapshot()["state"][SUNROOF] == 0  # nothing was done
    assert simulated.http("GET", f"/api/events?token={TOKEN}", auth=False).body.startswith(b'data: {"type":"snapshot"')
    assert simulated.http("GET", "/static/app.css").status == 200


def test_a_non_loopback_host_without_a_token_is_not_served(tmp_path: Path) -> None:
    notify = Notifications(tmp_path)
    try:
        with web_service(tmp_path, extra={"CARVOICE_WEB__HOST": "0.0.0.0", "NOTIFY_SOCKET": str(notify.path)},
                         wait=False) as service:
            notify.wait_for("READY=1", 90)  # the service itself runs
            assert "web view not started: web.host 0.0.0.0 is not loopback, so web.token is required" \
                in service.stderr()
            with pytest.raises(OSError), socket.create_connection(("127.0.0.1", service.port), timeout=1):
                pass
    finally:
        notify.close()


# -- pure parts ---------------------------------------------------------------------------------------
def test_the_web_configuration() -> None:
    assert WebConfig().enabled and WebConfig().host == "127.0.0.1" and WebConfig().token is None
    with pytest.raises(ConfigError, match=r"web\.token"):
        load_settings(**{"web.token": "short"})
    assert load_settings(**{"web.token": TOKEN, "web.host": "0.0.0.0"}).web.token == TOKEN
    production = load_settings(ROOT / "config" / "production.toml")
    assert production.web.enabled is False
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2", "0.0.0.0", "10.0.0.2",
                                     "car.local")] == [True, True, True, True, True, False, False, False]


def test_a_page_that_falls_behind_gets_a_fresh_snapshot_and_never_holds_up_the_bus() -> None:
    async def main() -> None:
        async with car() as (sim, gateway):
            bus = EventBus()
            feed = CabinFeed(bus, Car(gateway, sim), lambda: None, queue_size=16)
            feed.start()
            page = feed.connect()
            [first] = feed.take(page)
            assert json.loads(first[6:])["type"] == "snapshot" and not page.resync
            for i in range(10):
                bus.publish(ReplyEvent(text=f"reply {i}", interaction="a"))
            frames = feed.take(page)
            assert [json.loads(f[6:])["text"] for f in frames] == [f"reply {i}" for i in range(10)]
            for i in range(40):  # a stalled page: its backlog stays bounded, the bus goes on
                bus.publish(ChangeEvent(path=SPEED, old=i, new=i + 1))
            assert len(page.frames) <= 16 and page.resync and page.overflows == 1
            [resync] = feed.take(page)
            snapshot = json.loads(resync[6:])
            assert snapshot["type"] == "snapshot" and snapshot["state"][TEMP_DRIVER] == 21.0
            assert [e["text"] for e in snapshot["events"] if e["type"] == "reply"] == [f"reply {i}" for i in range(10)]
            feed.disconnect(page)
            bus.publish(ReplyEvent(text="after", interaction="b"))
            assert feed.pages == []
            feed.stop()

    asyncio.run(main())


# -- measured, not asserted: status frame -> page, and the page's weight --------------------------------
def test_measure_status_frame_to_page_latency_and_page_weight(bench: tuple[WebService, int, Broker],
                                                              browser: Any) -> None:
    service, can_port, _ = bench
    open_page(browser, service.url)
    catalog = default_catalog()
    changes = 60
    values = [17.0 + (i % 20) * 0.5 for i in range(changes)]  # each differs from the one before
    [(message, _, _)] = catalog.encode_commands({TEMP_REAR_LEFT: values[0]})
    status = catalog.status_message(TEMP_REAR_LEFT).frame_id
    bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=can_port)
    try:
        for value in values:
            [(_, data, _)] = catalog.encode_commands({TEMP_REAR_LEFT: value})
            bus.send(can.Message(arbitration_id=message.frame_id, data=data, is_extended_id=False))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # the ECU's confirming status frame
                frame = bus.recv(0.5)
                if frame is not None and frame.arbitration_id == status \
                        and catalog.decode_status(status, bytes(frame.data))[TEMP_REAR_LEFT] == value:
                    break
            else:
                raise AssertionError(f"the simulator did not confirm {value}")
            time.sleep(0.1)
    finally:
        bus.shutdown()

    def drawn() -> list[dict[str, float]]:
        return [r for r in browser.execute_script("return window.carvoiceView.renders")
                if r["path"] == TEMP_REAR_LEFT]

    renders = wait_until(lambda: drawn() if len(drawn()) >= changes else None, "every change drawn")
    assert [r["value"] for r in renders[-changes:]] == values  # none lost, none out of order
    shown_ms = sorted(r["shown"] - r["ts"] for r in renders[-changes:])
    received_ms = sorted(r["received"] - r["ts"] for r in renders[-changes:])
    weight = {name: len(data) for name, data in page_files().items()}
    assert set(weight) == set(STATIC)
    print(f"\nstatus frame -> page, {changes} changes: gateway state change -> frame painted p50 "
          f"{statistics.median(shown_ms):.1f} ms, p95 {_p95(shown_ms):.1f} ms; -> event received by the page p50 "
          f"{statistics.median(received_ms):.1f} ms, p95 {_p95(received_ms):.1f} ms")
    print(f"page weight: {sum(weight.values()) / 1000:.1f} kB uncompressed ("
          + ", ".join(f"{n} {b / 1000:.1f} kB" for n, b in weight.items()) + ")")


def _p95(sorted_values: list[float]) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(0.95 * (len(sorted_values) - 1)))]


def ask(driver: Any, seat: str, text: str) -> None:
    """Type a request in the page as ``seat`` and send it."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "ask-seat")).select_by_value(seat)
    field = driver.find_element("id", "ask-text")
    field.clear()
    field.send_keys(text)
    driver.find_element("id", "ask-send").click()
    wait_until(lambda: driver.find_element("id", "ask-text").get_attribute("value") == "", f"{text!r} to be sent")
