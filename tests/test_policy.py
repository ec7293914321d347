"""The policy: rules that no sentence can bypass."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.places import Places
from assistant.policy import Policy
from assistant.understanding.tools import make_call
from assistant.understanding.understand import validate
from tests.conftest import ROOT
from vehicle.signals import CHILD_LOCK, SPEED, default_catalog

POLICY = Policy(Places(ROOT / "assistant" / "data" / "pois.csv"))
START = default_catalog().initial_values()
T = "Vehicle.Cabin.HVAC.Station.{}.Temperature"


def plan(name: str, args: dict[str, Any], seat: str = "driver", **state: Any) -> Any:
    s = dict(START)
    s.update({k.replace("__", "."): v for k, v in state.items()})
    return POLICY.plan(make_call(name, args), seat, s)


def test_unqualified_requests_act_on_the_speakers_zone() -> None:
    assert plan("set_temperature", {"celsius": 22}, "rear-right").targets == {T.format("Row2.Passenger"): 22.0}
    assert plan("set_seat_heating", {"level": 1}, "passenger").targets == {
        "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling": 33}


def test_everywhere_means_every_zone_the_speaker_controls() -> None:
    assert len(plan("set_temperature", {"celsius": 20, "zone": "all"}).targets) == 4
    assert plan("set_window", {"percent_open": 100, "window": "all"}, "rear-left").targets == {
        "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position": 100}


def test_others_cannot_control_other_zones() -> None:
    step = plan("set_temperature", {"celsius": 25, "zone": "driver"}, "rear-left")
    assert step.refusal and not step.targets


def test_relative_steps_are_clamped_and_snapped() -> None:
    assert plan("set_temperature", {"delta": 2}, **{T.format("Row1.Driver").replace(".", "__"): 27.5}).targets == {
        T.format("Row1.Driver"): 28.0}
    assert plan("set_temperature", {"celsius": 22.3}).targets == {T.format("Row1.Driver"): 22.5}
    assert plan("set_fan_speed", {"delta": -50}).targets == {"Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed": 0}


@pytest.mark.parametrize("speed", [5.1, 30.0, 130.0])
def test_driver_seat_does_not_move_while_driving(speed: float) -> None:
    for name, args in (("move_seat", {"delta_mm": 50}), ("recline_seat", {"degrees": 30})):
        step = plan(name, args, **{SPEED.replace(".", "__"): speed})
        assert step.refusal == "I can only move the driver's seat while the car is stopped."
    assert plan("move_seat", {"delta_mm": 50}, "passenger", **{SPEED.replace(".", "__"): speed}).targets


def test_speed_gate_allows_at_the_limit() -> None:
    assert plan("move_seat", {"delta_mm": 50}, **{SPEED.replace(".", "__"): 5.0}).targets


def test_child_lock_keeps_rear_windows_closed_for_rear_speakers_only() -> None:
    lock = {CHILD_LOCK.replace(".", "__"): True}
    assert plan("set_window", {"percent_open": 100}, "rear-left", **lock).refusal
    assert plan("set_window", {"percent_open": 100, "window": "rear-left"}, "driver", **lock).targets
    closing = plan("set_window", {"percent_open": 0}, "rear-left", **lock,
                   **{"Vehicle__Cabin__Door__Row2__DriverSide__Window__Position": 60})
    assert closing.targets


def test_sunroof_belongs_to_the_front_seats() -> None:
    assert plan("set_sunroof", {"position": 100}, "rear-right").refusal
    assert plan("set_sunroof", {"position": 100}, "passenger").targets


def test_out_of_range_absolute_values_are_refused_with_the_range() -> None:
    calls, refusals = validate([("set_temperature", {"celsius": 35}), ("set_fan_speed", {"level": 15})])
    assert calls == []
    assert refusals == ["The temperature can be set between 16 and 28 degrees.", "The fan goes from level 0 to 10."]


def test_unresolvable_destination_sets_nothing() -> None:
    step = plan("navigate", {"place": "atlantis under the sea"})
    assert step.refusal and not step.targets


def test_nearest_category_is_measured_from_the_current_location() -> None:
    step = plan("navigate", {"category": "charging_station"},
                **{"Vehicle__CurrentLocation__Latitude": 48.35, "Vehicle__CurrentLocation__Longitude": 11.77})
    assert step.place is not None and step.place.name == "Airport Charging Park"


def test_questions_and_replies_change_nothing() -> None:
    assert plan("get_vehicle_state", {"topic": "temperature"}).targets == {}
    assert plan("reply_only", {"reason": "out_of_domain"}).targets == {}


def test_unknown_seat_is_refused() -> None:
    assert POLICY.plan(make_call("set_temperature", {"delta": 1}), "roof", START).refusal


def test_a_far_city_known_only_by_another_name_is_not_a_destination() -> None:
    from assistant.places import Places

    places = Places(None)
    munich = (48.137, 11.575)
    nan = places.resolve("nana")  # an alternate name of Nan, Thailand
    assert nan is not None and places.resolve("nana", munich) is None
    assert places.resolve("bangkok", munich) is not None  # its own name: said on purpose
    assert places.resolve("muenchen", munich) is not None  # another name, but near


def test_a_category_near_a_named_place_is_the_nearest_to_that_place() -> None:
    step = plan("navigate", {"category": "parking", "near": "olympic park"})
    assert step.place is not None and step.place.name == "Olympia Parking Deck"
    far = plan("navigate", {"category": "pharmacy", "near": "berlin"})  # the POIs are all in Munich
    assert far.refusal and not far.targets
    assert plan("navigate", {"category": "cafe", "near": "atlantis under the sea"}).refusal
