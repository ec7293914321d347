"""The DBC names every function of the specification, with the specification's ranges and start values."""

from __future__ import annotations

from pathlib import Path

import cantools
import pytest

from tests.spec import numbers, spec_rows
from vehicle.errors import NotAnActuatorError, OutOfRangeError
from vehicle.signals import (
    DESTINATION_LATITUDE,
    DESTINATION_LONGITUDE,
    DESTINATION_NAME,
    NO_REQUEST,
    PUSH_TO_TALK,
    SPEED,
    dbc_path,
    default_catalog,
)

CATALOG = default_catalog()


def test_dbc_loads_strictly() -> None:
    db = cantools.database.load_file(dbc_path(), strict=True)
    assert len(db.messages) >= 20


def test_every_spec_leaf_is_on_the_bus(shared: Path) -> None:
    spec = spec_rows(shared)
    assert len(spec) >= 39, "the spec parser lost rows"
    on_bus = set(CATALOG.paths)
    missing = sorted(set(spec) - on_bus - {DESTINATION_NAME})
    assert not missing, f"spec leaves without a CAN signal: {missing}"
    extra = sorted(on_bus - set(spec) - {PUSH_TO_TALK})
    assert not extra, f"CAN signals the spec does not name: {extra}"


def test_numeric_ranges_are_the_spec_ranges(shared: Path) -> None:
    checked = 0
    for path, row in spec_rows(shared).items():
        nums = numbers(row.range)
        if len(nums) < 2 or path not in CATALOG.paths:
            continue
        # "0 = closed, 100 = open, -100 = fully tilted" lists points, not "min-max, step"
        expected = (min(nums), max(nums)) if "=" in row.range.split(";")[0] and "level" not in row.range else (nums[0], nums[1])
        lim = CATALOG.limits(path)
        assert (lim.minimum, lim.maximum) == expected, path
        checked += 1
    assert checked >= 23


def test_temperature_resolution_is_the_spec_step() -> None:
    assert CATALOG.limits("Vehicle.Cabin.HVAC.Station.Row2.Passenger.Temperature").step == 0.5


def test_start_values_are_the_spec_start_values(shared: Path) -> None:
    initial = CATALOG.initial_values()
    for path, row in spec_rows(shared).items():
        if path == DESTINATION_NAME:
            continue
        start = row.start
        value = initial[path]
        if start == "null":
            assert value is None, path
        elif start in ("true", "false"):
            assert value is (start == "true"), path
        elif start.isalpha():
            assert value == start, path
        else:
            expected = numbers(start)
            if "Latitude" in path and path.startswith("Vehicle.CurrentLocation"):
                expected = expected[:1]
            elif "Longitude" in path and path.startswith("Vehicle.CurrentLocation"):
                expected = expected[1:]
            assert value == pytest.approx(expected[0]), path


def test_command_frames_leave_other_signals_untouched() -> None:
    path = "Vehicle.Cabin.Seat.Row1.PassengerSide.Massage.Level"
    [(message, data, _)] = CATALOG.encode_commands({path: 67})
    decoded = message.decode(data)
    assert decoded["MassageLevel"] == 67
    assert all(str(v) == NO_REQUEST for k, v in decoded.items() if k != "MassageLevel")
    assert CATALOG.decode_command(message.frame_id, data) == {path: 67}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature", 35.0),
        ("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature", 15.5),
        ("Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed", 150),
        ("Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling", -101),
        ("Vehicle.Cabin.Seat.Row1.DriverSide.Position", 301),
        ("Vehicle.Cabin.Seat.Row1.DriverSide.Backrest.Recline", 46),
        ("Vehicle.Cabin.Sunroof.Position", 101),
        ("Vehicle.Cabin.HVAC.Station.Row1.Driver.AirDistribution", "SIDEWAYS"),
        ("Vehicle.Cabin.HVAC.IsAirConditioningActive", 1),
        ("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature", float("nan")),
    ],
)
def test_out_of_range_values_are_refused_with_the_range(path: str, value: object) -> None:
    with pytest.raises(OutOfRangeError):
        CATALOG.encode_commands({path: value})  # type: ignore[dict-item]


def test_range_message_names_the_range() -> None:
    with pytest.raises(OutOfRangeError, match="between 16 and 28"):
        CATALOG.check("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature", 99)


def test_sensors_cannot_be_commanded() -> None:
    with pytest.raises(NotAnActuatorError):
        CATALOG.encode_commands({SPEED: 0.0})


def test_destination_round_trips_at_1e7_degrees() -> None:
    [(message, data, _)] = CATALOG.encode_commands({DESTINATION_LATITUDE: 48.2188123, DESTINATION_LONGITUDE: -11.6247})
    assert len(data) == 8
    assert CATALOG.decode_command(message.frame_id, data) == {
        DESTINATION_LATITUDE: 48.2188123,
        DESTINATION_LONGITUDE: -11.6247,
    }
    [(_, cleared, _)] = CATALOG.encode_commands({DESTINATION_LATITUDE: None, DESTINATION_LONGITUDE: None})
    assert CATALOG.decode_command(message.frame_id, cleared) == {DESTINATION_LATITUDE: None, DESTINATION_LONGITUDE: None}
