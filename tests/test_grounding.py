"""Model calls must be about what was said, with values that were said."""

from __future__ import annotations

import pytest

from assistant.understanding.grounding import grounded, numbers_grounded
from assistant.understanding.tools import make_call


@pytest.mark.parametrize(
    ("text", "name", "args", "ok"),
    [
        ("I could use a coffee", "navigate", {"category": "cafe"}, True),
        ("play some jazz", "navigate", {"category": "restaurant"}, False),
        ("turn on the headlights", "set_climate_feature", {"feature": "front_defroster", "on": True}, False),
        ("the glass is all misty", "set_climate_feature", {"feature": "front_defroster", "on": True}, True),
        # a destination must have been said, not just "route": misheard speech must not start a drive
        ("control the route", "navigate", {"place": "Isartor Charging Hub"}, False),
        ("navigate route and sorry", "navigate", {"place": "Brewhouse Marienplatz"}, False),
        ("take me over to the marienplatz brewery", "navigate", {"place": "Brewhouse Marienplatz"}, True),
        ("route to the nearest place to charge", "navigate", {"category": "charging_station"}, True),
        ("find me a route", "navigate", {"category": "charging_station"}, False),
        ("parking near the olympic park", "navigate", {"category": "parking", "near": "Olympic Park"}, True),
        ("parking near the stadium", "navigate", {"category": "parking", "near": "Olympic Park"}, False),
        ("back to the office please", "navigate", {"place": "work"}, True),
        ("back to the office please", "navigate", {"place": "home"}, False),
        # a zone beyond the speaker's own must have been named
        ("crank up the seat", "set_seat_heating", {"level": 3, "seat": "front"}, False),
        ("warm up both front seats", "set_seat_heating", {"level": 3, "seat": "front"}, True),
        ("my wife is freezing", "set_temperature", {"delta": 1, "zone": "passenger"}, True),
        ("it is chilly in here", "set_temperature", {"delta": 1, "zone": "all"}, False),
        ("left air please", "set_air_distribution", {"direction": "up"}, False),
        ("blow the air at my feet", "set_air_distribution", {"direction": "down"}, True),
    ],
)
def test_function_grounding(text: str, name: str, args: dict, ok: bool) -> None:
    assert grounded(make_call(name, args), text) is ok


@pytest.mark.parametrize(
    ("text", "name", "args", "ok"),
    [
        ("set the temperature to high in", "set_temperature", {"celsius": 25}, False),
        ("once the temperature set to", "set_temperature", {"celsius": 23}, False),
        ("put it on twenty three", "set_temperature", {"celsius": 23}, True),
        ("crank it a bit", "set_temperature", {"delta": 1}, True),
        ("roll it all the way down", "set_window", {"percent_open": 100}, True),
        ("fan on five", "set_fan_speed", {"percent": 50}, True),
        ("turn on the massage please", "set_massage", {"level": 2}, True),
        ("massage to 3", "set_massage", {"level": 1}, False),
        ("pop the roof", "set_sunroof", {"position": -100}, True),
        ("set the temperature to 4d", "set_temperature", {"delta": 1}, False),  # misheard number: no step
        ("once the temperature is the mag", "set_temperature", {"delta": 1}, False),
        ("watch the temperature set too", "set_temperature", {"delta": 1}, False),  # "what's ... set to"
        ("could you warm things up", "set_temperature", {"delta": 1}, True),
        ("the blower could be gentler", "set_fan_speed", {"delta": -20}, True),
    ],
)
def test_numbers_must_have_been_said(text: str, name: str, args: dict, ok: bool) -> None:
    assert numbers_grounded(make_call(name, args), text) is ok
