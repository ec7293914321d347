"""Real frames on a python-can virtual bus: every signal round-trips, faults give outcomes, not hangs."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import can
import pytest

from tests.conftest import car
from vehicle.errors import OutOfRangeError
from vehicle.gateway import CommandOutcome
from vehicle.signals import (
    DESTINATION_LATITUDE,
    DESTINATION_LONGITUDE,
    PUSH_TO_TALK,
    SPEED,
    ValueKind,
    default_catalog,
)

CATALOG = default_catalog()
TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"


def _other_value(path: str) -> object:
    """A valid value different from the start value."""
    b = CATALOG.binding(path)
    start = CATALOG.initial_values()[path]
    if b.kind is ValueKind.BOOL:
        return not start
    if b.kind is ValueKind.CHOICE:
        return next(c for c in CATALOG.choices(path) if c != start)
    lim = CATALOG.limits(path)
    return lim.maximum if start != lim.maximum else lim.minimum


def test_every_actuator_round_trips_through_frames() -> None:
    async def main() -> None:
        async with car() as (sim, gw):
            for path in CATALOG.actuators:
                if path in (DESTINATION_LATITUDE, DESTINATION_LONGITUDE):
                    continue
                value = _other_value(path)
                [result] = await gw.command({path: value})  # type: ignore[dict-item]
                assert result.outcome is CommandOutcome.CONFIRMED, path
                assert result.attempts == 1
                assert gw.state[path] == value, path
                assert sim.value(path) == value, path
            dest = {DESTINATION_LATITUDE: 48.2188, DESTINATION_LONGITUDE: 11.6247}
            [result] = await gw.command(dest)
            assert result.confirmed
            assert {p: gw.state[p] for p in dest} == dest
            [result] = await gw.command({DESTINATION_LATITUDE: None, DESTINATION_LONGITUDE: None})
            assert result.confirmed and gw.state[DESTINATION_LATITUDE] is None

    asyncio.run(main())


def test_state_starts_complete_from_status_frames() -> None:
    async def main() -> None:
        async with car({SPEED: 80.0}) as (_, gw):
            assert set(gw.state) == set(CATALOG.paths)
            assert gw.state[SPEED] == 80.0
            assert gw.state[TEMP] == 21.0

    asyncio.run(main())


def test_sensor_changes_reach_the_state() -> None:
    async def main() -> None:
        async with car() as (sim, gw):
            changes: list[str] = []
            gw.state.subscribe(lambda c: changes.append(c.path))
            sim.set(SPEED, 42.5)
            for _ in range(100):
                if gw.state[SPEED] == 42.5:
                    break
                await asyncio.sleep(0.01)
            assert gw.state[SPEED] == 42.5
            assert SPEED in changes

    asyncio.run(main())


def test_out_of_range_is_refused_before_any_frame() -> None:
    async def main() -> None:
        async with car() as (sim, gw):
            sent = gw.stats.frames_tx
            with pytest.raises(OutOfRangeError):
                await gw.command({TEMP: 35.0, "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed": 50})
            await asyncio.sleep(0.05)
            assert gw.stats.frames_tx == sent
            assert sim.value("Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed") == 30

    asyncio.run(main())


def test_silent_ecu_times_out_after_one_retry_and_others_still_answer() -> None:
    async def main() -> None:
        async with car(timeout=0.1) as (sim, gw):
            sim.silence("HVAC")
            hvac, seat = await asyncio.wait_for(
                asyncio.gather(
                    gw.command({TEMP: 25.0}),
                    gw.command({"Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling": 33}),
                ),
                timeout=5,
            )
            assert hvac[0].outcome is CommandOutcome.TIMED_OUT
            assert hvac[0].attempts == 2
            assert seat[0].confirmed
            sim.silence("HVAC", False)
            [again] = await gw.command({TEMP: 25.0})
            assert again.confirmed

    asyncio.run(main())


def test_jammed_actuator_is_reported_as_rejected() -> None:
    async def main() -> None:
        window = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
        async with car() as (sim, gw):
            sim.jam(window)
            [result] = await asyncio.wait_for(gw.command({window: 100}), timeout=5)
            assert result.outcome is CommandOutcome.REJECTED
            assert result.reported[window] == 0

    asyncio.run(main())


def test_burst_of_unrelated_and_malformed_frames_is_filtered_counted_and_ignored() -> None:
    async def main() -> None:
        async with car() as (_, gw):
            channel = gw.describe.split()[-1]
            flood = can.Bus(interface="virtual", channel=channel)
            stop = threading.Event()

            def spam() -> None:
                n = 0
                while not stop.is_set() and n < 20000:
                    flood.send(can.Message(arbitration_id=0x5A0 + n % 16, data=bytes(8), is_extended_id=False))
                    if n % 100 == 0:  # a status ID with a wrong length
                        flood.send(can.Message(arbitration_id=0x401, data=b"\x01", is_extended_id=False))
                    n += 1
                    if n % 500 == 0:
                        time.sleep(0.001)

            spammer = threading.Thread(target=spam)
            spammer.start()
            try:
                results = [await gw.command({TEMP: 16.0 + i}) for i in range(10)]
            finally:
                stop.set()
                spammer.join()
                flood.shutdown()
            assert all(r[0].confirmed for r in results)
            assert gw.stats.ignored == 0  # the acceptance filter kept 20,000 unrelated frames out
            assert gw.stats.malformed >= 1  # a status ID passes the filter; its bad length is caught
            assert gw.state[TEMP] == 25.0

    asyncio.run(main())


def test_push_to_talk_frame_from_the_simulator_reaches_listeners() -> None:
    async def main() -> None:
        async with car() as (sim, gw):
            presses: list[bool] = []
            gw.state.subscribe(lambda c: presses.append(bool(c.new)) if c.path == PUSH_TO_TALK else None)
            await asyncio.to_thread(sim.press_push_to_talk)
            for _ in range(100):
                if presses == [True, False]:
                    break
                await asyncio.sleep(0.01)
            assert presses == [True, False]

    asyncio.run(main())


def test_frames_are_logged_in_candump_format_for_replay(tmp_path: Path) -> None:
    log = tmp_path / "frames.log"

    async def main() -> None:
        async with car(frame_log=str(log)) as (_, gw):
            await gw.command({TEMP: 23.5})

    asyncio.run(main())
    frames = list(can.LogReader(str(log)))
    cmd_id = CATALOG.db.get_message_by_name("HVAC_Row1Driver_Cmd").frame_id
    sent = [f for f in frames if f.arbitration_id == cmd_id]
    assert len(sent) == 1
    assert CATALOG.decode_command(cmd_id, bytes(sent[0].data)) == {TEMP: 23.5}
    status_id = CATALOG.status_message(TEMP).frame_id
    assert any(CATALOG.decode_status(status_id, bytes(f.data))[TEMP] == 23.5 for f in frames if f.arbitration_id == status_id)
