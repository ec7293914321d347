"""What the assistant says back: built from what the ECUs confirmed, not from what was intended."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.domain import SIDE, STATION
from assistant.domain import level_of as _level_of
from assistant.policy import FEATURE_PATH, Step
from assistant.registry import REGISTRY, TOPIC_FEATURE
from assistant.understanding.tools import ToolCall
from vehicle.gateway import CommandOutcome, CommandResult
from vehicle.signals import (
    AMBIENT,
    CHILD_LOCK,
    DESTINATION_LATITUDE,
    DESTINATION_NAME,
    HVAC,
    SPEED,
    SUNROOF,
    VssValue,
)

ECU_NAMES = {"HVAC": "The climate control", "SeatCtrl": "The seat control", "Body": "The window control",
             "Nav": "The navigation system"}
ZONE_NAMES = {"driver": "the driver's side", "passenger": "the passenger side", "rear-left": "the rear left",
              "rear-right": "the rear right"}
SEAT_NAMES = {"driver": "the driver's seat", "passenger": "the passenger seat", "rear-left": "the rear left seat",
              "rear-right": "the rear right seat"}
WINDOW_NAMES = {"driver": "the driver's window", "passenger": "the passenger window",
                "rear-left": "the rear left window", "rear-right": "the rear right window"}
FEATURE_NAMES = {"air_conditioning": "the air conditioning", "recirculation": "recirculation",
                 "front_defroster": "the windshield defroster", "rear_defroster": "the rear window heater"}
REPLY_ONLY = {
    "out_of_domain": "Sorry, I can only help with the climate, the seats, the windows and navigation.",
    "unclear": "Sorry, I didn't catch that.",
    "greeting": "You're welcome.",
    "not_allowed": "I can't do that.",
    "capability": "Ask me to and I'll do it, if it's allowed right now.",
    "settled": "Okay. Tell me if you'd like anything changed.",
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(zones: list[str], table: dict[str, str]) -> str:
    if len(zones) == 4:
        return "all of them" if table is not ZONE_NAMES else "every zone"
    parts = [table[z] for z in zones]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _num(value: VssValue) -> str:
    return f"{float(value):g}" if isinstance(value, (int, float)) else str(value)


def outcome_reply(step: Step, results: list[CommandResult]) -> str | None:
    """A sentence about a failure, or None when every command of the step was confirmed."""
    for r in results:
        if r.outcome in (CommandOutcome.TIMED_OUT, CommandOutcome.UNREACHABLE):
            return f"{ECU_NAMES.get(r.ecu, 'The car')} did not respond."
        if r.outcome is CommandOutcome.REJECTED:
            return f"{ECU_NAMES.get(r.ecu, 'The car')} did not accept that."
    return None


def success_reply(step: Step, state: Mapping[str, VssValue]) -> str:
    """What a confirmed step did, read from the confirmed state."""
    name = step.call.name
    z = step.zones
    if name == "set_temperature":
        values = {state[p] for p in step.targets}
        where = _names(z, ZONE_NAMES)
        verb = "are" if len(z) > 1 and len(z) < 4 else "is"
        return f"{_cap(where)} {verb} now {_num(values.pop()) if len(values) == 1 else 'set'} degrees."
    if name == "set_fan_speed":
        value = int(state[next(iter(step.targets))])  # type: ignore[arg-type]
        if value == 0:
            return "The fan is off."
        level = f"level {value // 10}" if value % 10 == 0 else f"{value} percent"
        return f"The fan is now at {level}."
    if name == "set_air_distribution":
        where = {"UP": "the windshield", "MIDDLE": "your upper body", "DOWN": "the footwell"}
        value = str(state[next(iter(step.targets))])
        return f"The air now goes to {where.get(value, value.lower())}."
    if name == "set_climate_feature":
        path = next(iter(step.targets))
        feature = next(f for f, p in FEATURE_PATH.items() if p == path)
        return f"{_cap(FEATURE_NAMES[feature])} is now {'on' if state[path] else 'off'}."
    if name in REGISTRY and REGISTRY[name].shape == "level":
        what = REGISTRY[name].noun
        level = _level_of(abs(int(state[next(iter(step.targets))])))  # type: ignore[arg-type]
        where = _names(z, SEAT_NAMES)
        status = "off" if level == 0 else f"at level {level}"
        if len(z) == 4:
            return f"The {what} of every seat is now {status}."
        return f"The {what} of {where} is now {status}."
    if name == "move_seat":
        return f"I moved {_names(z, SEAT_NAMES)}."
    if name == "recline_seat":
        value = float(state[next(iter(step.targets))])  # type: ignore[arg-type]
        return f"The backrest of {_names(z, SEAT_NAMES)} is now at {value:g} degrees."
    if name == "set_window":
        value = int(state[next(iter(step.targets))])  # type: ignore[arg-type]
        status = "closed" if value == 0 else ("open" if value == 100 else f"{value} percent open")
        if len(z) == 4:
            return f"All windows are now {status}."
        return f"{_cap(_names(z, WINDOW_NAMES))} {'are' if len(z) > 1 else 'is'} now {status}."
    if name == "set_sunroof":
        value = int(state[SUNROOF])  # type: ignore[arg-type]
        status = "closed" if value == 0 else ("tilted" if value < 0 else ("open" if value == 100 else f"{value} percent open"))
        return f"The sunroof is now {status}."
    if name == "navigate" and step.place is not None:
        return f"Navigating to {step.place.name}."
    if name == "cancel_navigation":
        return "I cancelled the route."
    return "Done."


def already_reply(step: Step) -> str:
    """The step asked for what the car already is."""
    if step.call.name == "set_climate_feature":
        path = next(iter(step.targets))
        feature = next(f for f, p in FEATURE_PATH.items() if p == path)
        return f"{_cap(FEATURE_NAMES[feature])} is already {'on' if step.targets[path] else 'off'}."
    if step.call.name == "set_window":
        return "The window is already there."
    return "That's already set."


def query_reply(step: Step, speaker: str, state: Mapping[str, VssValue]) -> str:
    """The answer to a question about the car (reads state, changes nothing)."""
    args = step.call.arguments
    topic = getattr(args, "topic", "")
    zone = getattr(args, "zone", None) or speaker
    if zone in ("front", "rear", "all"):
        zone = {"front": "driver", "rear": "rear-left", "all": "driver"}[zone]
    station = STATION[zone]
    seat = SIDE[zone]
    if topic == "temperature":
        return f"{_cap(ZONE_NAMES[zone])} is set to {_num(state[f'{HVAC}.Station.{station}.Temperature'])} degrees."
    if topic == "outside_temperature":
        return f"It is {_num(state[AMBIENT])} degrees outside."
    if topic == "fan_speed":
        value = int(state[f"{HVAC}.Station.{station}.FanSpeed"])  # type: ignore[arg-type]
        return "The fan is off." if value == 0 else f"The fan is at level {value // 10}."
    if topic == "air_distribution":
        return f"The air goes {str(state[f'{HVAC}.Station.{station}.AirDistribution']).lower()}."
    if topic in TOPIC_FEATURE:
        feature = TOPIC_FEATURE[topic]
        on = state[FEATURE_PATH[feature]]
        return f"{_cap(FEATURE_NAMES[feature])} is {'on' if on else 'off'}."
    if topic == "seat_heating":
        value = int(state[f"Vehicle.Cabin.Seat.{seat}.HeatingCooling"])  # type: ignore[arg-type]
        if value > 0:
            return f"The seat heating is at level {_level_of(value)}."
        if value < 0:
            return f"The seat ventilation is at level {_level_of(-value)}."
        return "The seat heating is off."
    if topic == "massage":
        path = f"Vehicle.Cabin.Seat.{seat}.Massage.Level"
        value = int(state.get(path) or 0)  # type: ignore[arg-type]
        return "The massage is off." if value == 0 else f"The massage is at level {_level_of(value)}."
    if topic == "seat_position":
        path = f"Vehicle.Cabin.Seat.{seat}.Position"
        if path not in state:
            return "The rear seats don't move."
        return (f"The seat is {_num(state[path])} millimetres from the front, the backrest at "
                f"{_num(state[f'Vehicle.Cabin.Seat.{seat}.Backrest.Recline'])} degrees.")
    if topic == "window":
        value = int(state[f"Vehicle.Cabin.Door.{seat}.Window.Position"])  # type: ignore[arg-type]
        return "The window is closed." if value == 0 else f"The window is {value} percent open."
    if topic == "sunroof":
        value = int(state[SUNROOF])  # type: ignore[arg-type]
        return "The sunroof is closed." if value == 0 else ("The sunroof is tilted." if value < 0 else f"The sunroof is {value} percent open.")
    if topic == "destination":
        if state.get(DESTINATION_LATITUDE) is None:
            return "There is no route set."
        return f"We are heading to {state.get(DESTINATION_NAME) or 'the destination on the map'}."
    if topic == "speed":
        return f"We are driving {float(state[SPEED]):.0f} kilometres per hour."  # type: ignore[arg-type]
    if topic == "child_lock":
        return f"The child lock is {'on' if state[CHILD_LOCK] else 'off'}."
    return "I can't tell that."


def reply_only(step: Step) -> str:
    """The answer of a reply-only call."""
    args = step.call.arguments
    reason = getattr(args, "reason", "unclear")
    subject = getattr(args, "subject", None)
    if reason == "unsupported_function":
        return f"I can't control {subject} in this car." if subject else "This car doesn't let me do that."
    if reason == "not_allowed":
        return "I can't do that. I only change the car through its normal controls, within its safety rules."
    return REPLY_ONLY.get(reason, REPLY_ONLY["unclear"])


def propose(call: ToolCall) -> str:
    """A short phrase for what a call would do ("set the temperature to 22 degrees")."""
    a = call.arguments
    name = call.name
    if name == "set_temperature" and getattr(a, "celsius", None) is not None:
        return f"set the temperature to {a.celsius:g} degrees"  # type: ignore[attr-defined]
    if name == "set_temperature" and getattr(a, "delta", None) is not None:
        return "make it warmer" if a.delta > 0 else "make it cooler"  # type: ignore[attr-defined]
    if name == "set_climate_feature":
        return f"switch {'on' if a.on else 'off'} {FEATURE_NAMES[a.feature]}"  # type: ignore[attr-defined]
    if name == "set_window" and getattr(a, "percent_open", None) is not None:
        return "open the window" if a.percent_open else "close the window"  # type: ignore[attr-defined]
    if name in REGISTRY and REGISTRY[name].shape == "level":
        return f"switch {'off' if getattr(a, 'level', None) == 0 else 'on'} the {name.removeprefix('set_').replace('_', ' ')}"
    if name == "navigate":
        target = getattr(a, "place", None) or str(getattr(a, "category", "")).replace("_", " ")
        return f"take you to {'the nearest ' if getattr(a, 'category', None) else ''}{target}"
    return REGISTRY[name].propose if name in REGISTRY and REGISTRY[name].propose else "do that"


def doubt_question(calls: list[ToolCall]) -> str:
    """ "Did you want me to turn the temperature down?" for a request not heard for sure."""
    parts = [propose(c) for c in calls]
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Did you want me to {what}?"


def confirm_question(calls: list[ToolCall]) -> str:
    """ "Should I switch on the seat heating?" for what the language model proposes."""
    parts = [propose(c) for c in calls]
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Should I {what}?"
