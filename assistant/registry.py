"""The tool registry: every function of the car described once.

An entry says what the parser, the dialogue context, the policy and the replies need to know
of a tool: its argument model (``tools.py``, with the DBC's bounds), the argument naming its
zone/seat/window, its absolute and relative arguments, the size of one unspoken step ("a bit
warmer", "fan up"), its extremes ("max", "all the way"), what "on" and "off" mean, which VSS
leaf it moves (for undo), the range message, and the senses of the language data
(``understanding/lang/*.toml``) that point at it. Adding a function to the car is an entry
here, an argument model and a DBC message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.domain import FAN_LEVELS, LEVELS, SIDE, STATION, Seat, level_of
from assistant.understanding.tools import TOOLS
from vehicle.signals import HVAC, SUNROOF, VssValue, default_catalog

_CAT = default_catalog()


def _limits(path: str) -> tuple[float, float]:
    lim = _CAT.limits(path)
    return lim.minimum, lim.maximum


@dataclass(frozen=True)
class Senses:
    """Which senses of the language data point at a tool, and which it can take."""

    keys: tuple[frozenset[str], ...]
    """Any one of these sets, all present in a clause, makes the tool a candidate."""
    takes: frozenset[str]
    """Senses a clause may hold for this tool (a name ending in "." takes the whole family)."""
    strong: frozenset[str] = frozenset()
    """Senses that name this tool outright (an object), not only an action that fits several."""

    def accepts(self, sense: str) -> bool:
        return sense in self.takes or any(t.endswith(".") and sense.startswith(t) for t in self.takes)


def senses(keys: list[list[str]], takes: list[str], strong: list[str] | None = None) -> Senses:
    return Senses(tuple(frozenset(k) for k in keys), frozenset(takes), frozenset(strong or []))


@dataclass(frozen=True)
class ToolSpec:
    """One tool of the car."""

    name: str
    key: str | None = None
    """The argument that names the zone, seat or window (None: the tool acts on the whole car)."""
    absolute: str | None = None
    """The argument of an absolute value."""
    relative: str | None = None
    """The argument of a relative change."""
    step: float = 0.0
    """One unspoken step: "warmer", "fan up", "move my seat back"."""
    little: float = 0.0
    """"a bit", "a touch"."""
    much: float = 0.0
    """"much", "a lot"."""
    maximum: float | None = None
    """The absolute value of "max", "fully", "all the way" (in the direction of increase)."""
    minimum: float | None = None
    """The absolute value of "min", "all the way" down."""
    named: dict[str, float] = field(default_factory=dict)
    """Named levels: "low", "medium", "high"."""
    on: dict[str, Any] | None = None
    """Arguments of "turn it on" / "open it"."""
    off: dict[str, Any] | None = None
    """Arguments of "turn it off" / "close it"."""
    leaf: Callable[[Seat | None], str] | None = None
    """The VSS path the tool moves for a seat (None for the whole car)."""
    restore: Callable[[VssValue], dict[str, Any]] | None = None
    """Arguments that set the leaf back to a value it had ("undo that")."""
    what: str = "setting"
    """What the tool changes, as the policy names it ("You can only change your own ...")."""
    ranges: dict[str, str] = field(default_factory=dict)
    """The spoken range of a value that is out of it, by argument ("" for any other)."""
    senses: Senses = field(default_factory=lambda: senses([], []))
    shape: str = ""
    """How what was said becomes the arguments (``resolve.BUILDERS``): "temperature", "fan", "air",
    "feature", "level", "move", "recline", "opening", "cancel"; "" for tools the grammar does not build."""
    directed: bool = False
    """A direction word ("back", "up", "to the feet") is the tool's own value, never a target."""
    warms: int = 0
    """+1: "warm" raises the level and feeling hot lowers it (seat heating); -1: "cool" raises it (ventilation)."""
    tilts: bool = False
    """"tilt" is a position of its own (the sunroof), not a step of "open"."""
    noun: str = ""
    """What the replies call it ("The heating of your seat is now at level 2")."""
    propose: str = ""
    """What a confirmation question offers to do with it ("Did you want me to change the fan?")."""
    undo_with: str | None = None
    """The tool that takes back what this one started when nothing was there before ("cancel the route")."""

    @property
    def model(self) -> type:
        return TOOLS[self.name]

    @property
    def per_seat(self) -> bool:
        """One per seat (a window, a seat): "the back one" from the front is two and needs asking."""
        return self.key in ("seat", "window")


AMOUNTS = ["amt.max", "amt.min", "amt.little", "amt.much", "amt.half", "amt.quarter", "amt.third",
           "amt.three_quarters", "amt.two_thirds", "amt.low", "amt.medium", "amt.high", "amt.by", "amt.to", "count", "num"]
"""Amount senses that any tool with values takes; units (degrees, percent, level, mm) are each tool's own."""

_SEAT_LEVEL_TAKES = ["act.on", "act.off", "act.set", "act.increase", "act.decrease", "act.open", "act.close",
                     *AMOUNTS, "amt.level", "zone.", "obj.seat"]


def _station(leaf: str) -> Callable[[Seat | None], str]:
    return lambda seat: f"{HVAC}.Station.{STATION[seat or 'driver']}.{leaf}"


def _side(leaf: str) -> Callable[[Seat | None], str]:
    return lambda seat: f"Vehicle.Cabin.Seat.{SIDE[seat or 'driver']}.{leaf}"


T_MIN, T_MAX = _limits(f"{HVAC}.Station.Row1.Driver.Temperature")
P_MIN, P_MAX = _limits("Vehicle.Cabin.Seat.Row1.DriverSide.Position")
R_MIN, R_MAX = _limits("Vehicle.Cabin.Seat.Row1.DriverSide.Backrest.Recline")

REGISTRY: dict[str, ToolSpec] = {t.name: t for t in [
    ToolSpec(
        "set_temperature", shape="temperature", noun="temperature", propose="change the temperature", ranges={"": f"The temperature can be set between {T_MIN:g} and {T_MAX:g} degrees."},
        key="zone", absolute="celsius", relative="delta", step=1.0, little=1.0, much=2.0,
        maximum=T_MAX, minimum=T_MIN, on={"delta": 1.0}, off={"delta": -1.0}, leaf=_station("Temperature"),
        restore=lambda v: {"celsius": float(v)}, what="temperature zone",  # type: ignore[arg-type]
        senses=senses([["obj.temperature"], ["act.warm"], ["act.cool"], ["amt.warmest"], ["amt.coldest"],
                       ["amt.degrees", "num"], ["amt.fahrenheit", "num"], ["amt.degrees", "count"],
                       ["obj.ac", "act.increase"], ["obj.ac", "act.decrease"]],
                      ["obj.temperature", "obj.heating", "obj.climate", "obj.ac", "obj.air", "act.set", "act.increase", "act.decrease", "act.warm",
                       "act.cool", "act.on", "act.off", *AMOUNTS, "amt.degrees", "amt.fahrenheit", "amt.warmest",
                       "amt.coldest", "amt.level", "zone."],
                      strong=["obj.temperature", "amt.warmest", "amt.coldest", "amt.degrees", "amt.fahrenheit"])),
    ToolSpec(
        "set_fan_speed", shape="fan", noun="fan", propose="change the fan", ranges={"level": f"The fan goes from level 0 to {FAN_LEVELS}.", "": "The fan can be set between 0 and 100 percent."},
        key="zone", absolute="level", relative="delta", step=10, little=10, much=20,
        maximum=100, minimum=10, named={"low": 20, "medium": 50, "high": 80}, on={"level": 3}, off={"level": 0},
        leaf=_station("FanSpeed"), restore=lambda v: {"percent": int(v)}, what="fan",  # type: ignore[arg-type]
        senses=senses([["obj.fan"], ["obj.air", "act.increase"], ["obj.air", "act.decrease"], ["obj.air", "amt.max"],
                       ["obj.air", "amt.min"]],
                      ["obj.fan", "obj.climate", "obj.air", "act.set", "act.increase", "act.decrease", "act.on", "act.off", *AMOUNTS,
                       "amt.level", "amt.percent", "zone."],
                      strong=["obj.fan"])),
    ToolSpec(
        "set_air_distribution", shape="air", noun="air vents", propose="change where the air goes", directed=True, key="zone", leaf=_station("AirDistribution"),
        restore=lambda v: {"direction": str(v).lower()}, what="air vents",
        senses=senses([["obj.vents"], ["obj.air", "dir.up"], ["obj.air", "dir.middle"], ["obj.air", "dir.down"],
                       ["act.point", "dir.up"], ["act.point", "dir.middle"], ["act.point", "dir.down"]],
                      ["obj.vents", "obj.climate", "obj.air", "obj.fan", "act.point", "act.set", "act.on", "dir.up", "dir.middle",
                       "dir.down", "obj.windshield", "obj.window", "zone.", "amt.to"],
                      strong=["obj.vents"])),
    ToolSpec(
        "set_climate_feature", shape="feature", what="climate",
        restore=lambda v: {"on": bool(v)},
        senses=senses([["obj.ac"], ["obj.recirculation"], ["obj.fresh_air"], ["obj.defroster"], ["obj.rear_glass"],
                       ["obj.window", "act.warm"], ["obj.windshield", "act.warm"]],
                      ["obj.ac", "obj.recirculation", "obj.fresh_air", "obj.defroster", "obj.rear_glass", "obj.climate",
                       "obj.windshield", "obj.window", "obj.air", "act.on", "act.off", "act.open", "act.close",
                       "act.set", "act.warm", "obj.temperature", "zone.", "amt.max", "amt.to"],
                      strong=["obj.ac", "obj.recirculation", "obj.fresh_air", "obj.defroster", "obj.rear_glass"])),
    ToolSpec(
        "set_seat_heating", shape="level", warms=1, noun="heating", propose="change the seat heating", ranges={"": f"Seat heating has levels 1 to {LEVELS}, or off."},
        key="seat", absolute="level", relative="delta", step=1, little=1, much=2,
        maximum=LEVELS, minimum=1, named={"low": 1, "medium": 2, "high": 3}, on={"level": 3}, off={"level": 0},
        leaf=_side("HeatingCooling"), restore=lambda v: {"level": level_of(int(v))}, what="seat",  # type: ignore[arg-type]
        senses=senses([["obj.seat_heating"], ["obj.seat", "act.warm"], ["obj.seat", "feel.cold"],
                       ["obj.seat", "feel.hot"], ["obj.seat", "obj.heating"], ["obj.backrest", "act.warm"]],
                      [*_SEAT_LEVEL_TAKES, "obj.seat_heating", "obj.heating", "act.warm", "feel.", "obj.backrest"],
                      strong=["obj.seat_heating"])),
    ToolSpec(
        "set_seat_ventilation", shape="level", warms=-1, noun="ventilation",
        propose="change the seat ventilation", ranges={"": f"Seat ventilation has levels 1 to {LEVELS}, or off."},
        key="seat", absolute="level", relative="delta", step=1, little=1, much=2,
        maximum=LEVELS, minimum=1, named={"low": 1, "medium": 2, "high": 3}, on={"level": 3}, off={"level": 0},
        leaf=_side("HeatingCooling"), restore=lambda v: {"level": level_of(int(v))}, what="seat",  # type: ignore[arg-type]
        senses=senses([["obj.seat_ventilation"], ["obj.seat", "act.cool"], ["obj.seat", "obj.fan"],
                       ["obj.seat", "obj.vents"]],
                      [*_SEAT_LEVEL_TAKES, "obj.seat_ventilation", "act.cool", "obj.fan", "obj.vents", "obj.air"],
                      strong=["obj.seat_ventilation"])),
    ToolSpec(
        "set_massage", shape="level", noun="massage", propose="change the massage", ranges={"": f"The massage has levels 1 to {LEVELS}, or off."},
        key="seat", absolute="level", relative="delta", step=1, little=1, much=2,
        maximum=LEVELS, minimum=1, named={"low": 1, "medium": 2, "high": 3}, on={"level": 2}, off={"level": 0},
        leaf=_side("Massage.Level"), restore=lambda v: {"level": level_of(int(v))}, what="seat",  # type: ignore[arg-type]
        senses=senses([["obj.massage"]], [*_SEAT_LEVEL_TAKES, "obj.massage", "obj.backrest"], strong=["obj.massage"])),
    ToolSpec(
        "move_seat", shape="move", noun="seat", propose="move the seat", directed=True, ranges={"": f"The seat moves between {P_MIN:g} and {P_MAX:g} millimetres."},
        key="seat", absolute="position_mm", relative="delta_mm", step=50, little=25, much=100,
        maximum=P_MAX, minimum=P_MIN, leaf=_side("Position"), restore=lambda v: {"position_mm": int(v)},  # type: ignore[arg-type]
        what="seat",
        senses=senses([["obj.seat", "dir.back"], ["obj.seat", "dir.forward"], ["act.move", "dir.back"],
                       ["act.move", "dir.forward"], ["obj.seat", "amt.mm"], ["obj.seat", "amt.cm"],
                       ["obj.seat", "amt.inch"]],
                      ["obj.seat", "act.move", "act.set", "dir.back", "dir.forward", *AMOUNTS, "amt.mm", "amt.cm",
                       "amt.inch", "zone."],
                      strong=["dir.back", "dir.forward"])),
    ToolSpec(
        "recline_seat", shape="recline", noun="backrest", propose="move the backrest", directed=True, ranges={"": f"The backrest reclines between {R_MIN:g} and {R_MAX:g} degrees."},
        key="seat", absolute="degrees", relative="delta_degrees", step=10.0, little=5.0, much=20.0,
        maximum=R_MAX, minimum=R_MIN, leaf=_side("Backrest.Recline"), restore=lambda v: {"degrees": float(v)},  # type: ignore[arg-type]
        what="seat",
        senses=senses([["act.recline"], ["act.upright"], ["obj.backrest"]],
                      ["obj.backrest", "obj.seat", "act.recline", "act.upright", "act.set", "act.increase", "act.tilt",
                       "act.decrease", "act.move", "dir.back", "dir.forward", *AMOUNTS, "amt.degrees", "zone."],
                      strong=["obj.backrest", "act.recline", "act.upright"])),
    ToolSpec(
        "set_window", shape="opening", noun="window", propose="move the window", ranges={"": "Windows open between 0 and 100 percent."},
        key="window", absolute="percent_open", relative="delta", step=25, little=25, much=50,
        maximum=100, minimum=0, named={"half": 50}, on={"percent_open": 100}, off={"percent_open": 0},
        leaf=lambda seat: f"Vehicle.Cabin.Door.{SIDE[seat or 'driver']}.Window.Position",
        restore=lambda v: {"percent_open": int(v)}, what="window",  # type: ignore[arg-type]
        senses=senses([["obj.window"]],
                      ["obj.window", "act.open", "act.close", "act.set", "act.increase", "act.decrease", "act.move",
                       *AMOUNTS, "amt.percent", "zone.", "dir.up", "dir.down"],
                      strong=["obj.window"])),
    ToolSpec(
        "set_sunroof", shape="opening", tilts=True, noun="sunroof", propose="move the sunroof", ranges={"": "The sunroof opens between 0 and 100 percent, or tilts."},
        absolute="position", relative="delta", step=25, little=25, much=50, maximum=100, minimum=0,
        on={"position": 100}, off={"position": 0}, leaf=lambda _seat: SUNROOF,
        restore=lambda v: {"position": int(v)}, what="sunroof",  # type: ignore[arg-type]
        senses=senses([["obj.sunroof"]],
                      ["obj.sunroof", "act.open", "act.close", "act.tilt", "act.set", "act.increase", "act.decrease",
                       "act.move", *AMOUNTS, "amt.percent", "zone.", "dir.up", "dir.down", "dir.back", "dir.forward", "obj.window"],
                      strong=["obj.sunroof"])),
    ToolSpec("navigate", what="route", undo_with="cancel_navigation"),
    ToolSpec("cancel_navigation", shape="cancel", propose="cancel the route", what="route",
             senses=senses([["act.cancel", "obj.route"], ["act.off", "obj.route"]],
                           ["act.cancel", "act.off", "obj.route", "act.set", "zone."], strong=["obj.route"])),
    ToolSpec("get_vehicle_state"),
    ToolSpec("reply_only"),
]}
"""Tool name -> its entry."""

REMARK_TOOL = "set_temperature"
"""What a lone remark on feeling hot or cold acts on ("I'm freezing"; spec: Behaviour rules)."""

BARE_VALUE_TOOL = "set_temperature"
"""What a bare value of cabin temperatures acts on when nothing else is said or meant ("make it 22")."""

TOPIC_TOOL = {"temperature": "set_temperature", "fan_speed": "set_fan_speed", "air_distribution": "set_air_distribution",
              "seat_heating": "set_seat_heating", "massage": "set_massage", "seat_position": "move_seat",
              "window": "set_window", "sunroof": "set_sunroof", "destination": "navigate"}
"""The tool a question's topic is about, for "set it to 19" after "what's the temperature in the back?"."""
TOPIC_FEATURE = {"air_conditioning": "air_conditioning", "recirculation": "recirculation",
                 "defroster": "front_defroster", "rear_defroster": "rear_defroster"}
"""The climate feature a question's topic is about, for "switch it on" after "is the rear window heater on?"."""

FEATURE_OF = {"obj.ac": "air_conditioning", "obj.recirculation": "recirculation", "obj.fresh_air": "recirculation",
              "obj.defroster": "front_defroster", "obj.rear_glass": "rear_defroster"}
"""Which climate feature an object sense names."""

assert set(REGISTRY) == set(TOOLS), "every tool has a registry entry"
assert FAN_LEVELS == 10


def spec(name: str) -> ToolSpec:
    """The entry of a tool."""
    return REGISTRY[name]


def range_message(name: str, argument: str) -> str:
    """What to say when a tool's argument is out of its range."""
    entry = REGISTRY.get(name)
    if entry is None or not entry.ranges:
        return "I can't do that."
    return entry.ranges.get(argument, entry.ranges.get("", "I can't do that."))


def zone_key(name: str) -> str | None:
    """The argument naming a tool's zone, seat or window."""
    entry = REGISTRY.get(name)
    return entry.key if entry is not None else None


def vocabulary(language: str = "en") -> frozenset[str]:
    """Every word (of four letters or more) of the phrases that name the registry's tools, their targets
    and amounts in ``language``'s data (``understanding/lang``): the recogniser mends near-misses to them."""
    from assistant.understanding.lexicon import load

    return load(language).vocabulary()
