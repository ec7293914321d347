"""A check that a model's tool call is about something the request mentions.

A small model asked about jazz may still pick *some* tool. The policy stops what is unsafe;
this stops what is merely unfounded: an acting call whose function no word of the request
points at becomes "I didn't get that". The lists are broad on purpose (indirect requests
like "I'm hungry" or "I can't see out" must pass); they only reject calls from nowhere.
"""

from __future__ import annotations

import re

from assistant.understanding.text import normalize
from assistant.understanding.tools import ToolCall

_CUES: dict[str, tuple[str, ...]] = {
    "set_temperature": ("temp", "degree", "warm", "cold", "cool", "hot", "heat", "chill", "freez", "frozen", "sweat",
                        "boil", "climate", "celsius", "fahrenheit", "shiver", "roast", "stuffy", "toast", "icy",
                        "nippy", "frost", "bake", "melt", "ac", "air con", "thermo"),
    "set_fan_speed": ("fan", "air", "blow", "blower", "breez", "draft", "draught", "wind", "vent", "stuffy", "loud",
                      "noisy", "quiet"),
    "set_air_distribution": ("air", "blow", "vent", "feet", "foot", "floor", "face", "windshield", "windscreen",
                             "legs", "toes", "chest", "head", "glass", "distribut", "direct", "point", "aim"),
    "set_climate_feature": ("ac", "air", "condition", "recirc", "circulat", "defrost", "defog", "demist", "fog",
                            "mist", "steam", "ice", "icy", "frost", "windshield", "windscreen", "window", "glass",
                            "see", "smell", "stink", "fume", "exhaust", "smoke", "tunnel", "pollut", "dust", "pollen",
                            "cool", "fresh", "outside", "inside", "rear", "heater", "blur", "condensation", "view"),
    "set_seat_heating": ("seat", "heat", "warm", "butt", "bum", "bottom", "behind", "cold", "chilly", "freez", "toast"),
    "set_seat_ventilation": ("seat", "vent", "cool", "sweat", "sticky", "clammy", "hot", "butt", "back"),
    "set_massage": ("massag", "back", "shoulder", "muscle", "sore", "ache", "hurt", "pain", "stiff", "tense",
                    "tired", "knead", "relax"),
    "move_seat": ("seat", "legroom", "leg room", "room", "space", "cramp", "knee", "leg", "pedal", "wheel", "forward",
                  "back", "closer", "squish", "squeez", "slide", "move", "scoot"),
    "recline_seat": ("seat", "recline", "backrest", "lean", "lie", "lay", "upright", "straight", "sit", "nap",
                     "rest", "tilt", "back", "sleep"),
    "set_window": ("window", "air", "breez", "fresh", "stuffy", "crack", "roll", "open", "close", "shut", "down",
                   "up", "smoke", "smell", "hot", "rain", "wind", "noise", "loud", "let"),
    "set_sunroof": ("roof", "sun", "sky", "tilt", "star", "open", "close", "shut", "vent", "light"),
    "navigate": ("navigat", "take", "drive", "go", "get", "bring", "head", "route", "direction", "way", "find",
                 "where", "nearest", "closest", "near", "home", "work", "office", "hungry", "eat", "food", "coffee",
                 "drink", "thirst", "fuel", "gas", "petrol", "charg", "battery", "park", "hospital", "doctor",
                 "pharmac", "medic", "shop", "grocer", "market", "wash", "hotel", "sleep", "stay", "visit", "travel",
                 "destination", "lead", "need", "want", "starv", "emergency", "sick", "ill", "hurt"),
    "cancel_navigation": ("cancel", "stop", "end", "clear", "route", "navigat", "destination", "direction", "trip",
                          "arriv", "forget", "never mind", "abort"),
}


def grounded(call: ToolCall, text: str) -> bool:
    """Whether the request mentions anything the call is about (questions and replies always are)."""
    cues = _CUES.get(call.name)
    if cues is None:
        return True
    words = normalize(text)
    if call.name == "navigate":
        return _destination_grounded(call, words)
    return _said_any(cues, words) and _zone_grounded(call, words) and _direction_grounded(call, words)


_DIRECTION_CUES = {
    "up": ("up", "windshield", "windscreen", "glass", "screen", "top", "high", "defog", "defrost", "fog", "mist"),
    "middle": ("middle", "face", "chest", "body", "dash", "center", "centre", "front vent", "straight", "me"),
    "down": ("down", "feet", "foot", "floor", "leg", "toe", "low", "bottom", "footwell"),
}


def _direction_grounded(call: ToolCall, words: str) -> bool:
    """Where the air goes must have been said ("left air" is no request for the windshield)."""
    direction = getattr(call.arguments, "direction", None)
    if call.name != "set_air_distribution" or direction is None:
        return True
    return _said_any(_DIRECTION_CUES.get(str(direction), ()), words)


_PEOPLE = ("we", "us", "our", "everyone", "everybody", "all", "both", "every", "whole", "entire", "cabin", "front",
           "rear", "back", "behind", "passenger", "co driver", "codriver", "shotgun", "left", "right", "kid",
           "child", "baby", "wife", "husband", "partner", "friend", "mom", "mum", "dad", "mother", "father",
           "grand", "son", "daughter", "he", "she", "him", "her", "his", "they", "them", "their", "next to me",
           "beside me", "guest", "side")
_ZONE_CUES: dict[str, tuple[str, ...]] = {
    "driver": ("driver", "my", "mine", "me", "i", "left", "side"),
    "passenger": _PEOPLE,
    "rear-left": _PEOPLE,
    "rear-right": _PEOPLE,
    "front": _PEOPLE,
    "rear": _PEOPLE,
    "all": _PEOPLE,
}


def _zone_grounded(call: ToolCall, words: str) -> bool:
    """A seat or zone other than the speaker's own must have been named: a small model widens
    "my seat" to both front seats when the request was unclear."""
    zone = getattr(call.arguments, "zone", None) or getattr(call.arguments, "seat", None)
    if zone is None:
        return True
    return _said_word(_ZONE_CUES.get(str(zone), ()), words)


def _said_any(cues: tuple[str, ...], words: str) -> bool:
    """Whether a word starting with one of ``cues`` was said ("charg" matches "charging")."""
    return any(re.search(rf"\b{re.escape(cue)}", words) for cue in cues)


def _said_word(cues: tuple[str, ...], words: str) -> bool:
    """Whether one of ``cues`` was said as a whole word ("i" must not match "in")."""
    return any(re.search(rf"\b{re.escape(cue)}\b", words) for cue in cues)


_CATEGORY_CUES: dict[str, tuple[str, ...]] = {
    "charging_station": ("charg", "electric", "battery", "plug", "ev", "juice", "power"),
    "fuel_station": ("fuel", "gas", "petrol", "diesel", "refuel", "fill", "tank", "empty"),
    "parking": ("park",),
    "restaurant": ("restaurant", "eat", "food", "hungry", "starv", "dinner", "lunch", "breakfast", "meal", "bite"),
    "cafe": ("cafe", "caf", "coffee", "espresso", "latte", "tea", "cappuccino", "tired", "sleepy"),
    "hospital": ("hospital", "emergency", "doctor", "sick", "ill", "hurt", "injur", "bleed", "clinic", "medic"),
    "pharmacy": ("pharmac", "chemist", "drugstore", "drug store", "medicine", "medic", "aspirin", "pill",
                 "prescription", "headache"),
    "supermarket": ("supermarket", "grocer", "market", "shop", "food", "milk", "bread"),
    "car_wash": ("wash", "dirty", "clean", "filthy", "mud"),
    "hotel": ("hotel", "motel", "sleep", "stay", "night", "room", "bed", "inn"),
    "landmark": ("landmark", "sight", "museum", "tour", "visit", "attraction", "famous"),
}

_FAVOURITE_CUES = {"home": ("home", "house", "place"), "work": ("work", "office", "job")}

_GENERIC_PLACE_WORDS = {"the", "of", "and", "a", "an", "to", "at", "in", "on", "de", "am", "station", "stop", "street",
                        "road", "square", "center", "centre", "hub", "park", "parking", "charging", "fuel", "gas",
                        "city", "old", "new", "town", "place", "my"}


def _destination_grounded(call: ToolCall, words: str) -> bool:
    """A model's destination must have been said: the place's own words, or its category's cue.

    Mere navigation words ("route", "take me") do not ground a place the model picked: a misheard
    "cancel the route" must not become a drive to a charging hub.
    """
    place = getattr(call.arguments, "place", None)
    category = getattr(call.arguments, "category", None)
    if category is not None:
        return _said_any(_CATEGORY_CUES.get(category, (category.replace("_", " "),)), words)
    if not place:
        return False
    name = normalize(place)
    favourite = _FAVOURITE_CUES.get(name)
    if favourite is not None:
        return _said_any(favourite, words)
    said = set(words.split())
    own = [w for w in name.split() if w not in _GENERIC_PLACE_WORDS and len(w) > 2]
    if own:
        return any(w in said for w in own)
    return name in words


_RELATIVE = ("up", "down", "more", "less", "bit", "little", "notch", "step", "tad", "touch", "degree", "level",
             "warm", "cool", "cold", "hot", "heat", "chill", "freez", "frozen", "sweat", "boil", "roast", "toast",
             "stuffy", "icy", "nippy", "increase", "decrease", "rais", "lower", "reduc", "higher", "boost", "crank",
             "turn", "bump", "drop", "strong", "weak", "gentl", "hard", "soft", "fast", "slow", "loud",
             "quiet", "intens", "harder", "softer", "louder", "plus", "minus")
"""Words that make a relative change plausible; a step the model proposes without any is dropped."""

_ABSOLUTE = ("celsius", "level", "percent", "position_mm", "degrees", "percent_open", "position")
_QUALITATIVE: dict[float, tuple[str, ...]] = {
    100: ("open", "max", "maximum", "full", "fully", "all the way", "highest", "wide", "completely"),
    0: ("close", "closed", "shut", "off", "stop", "upright", "straight", "minimum", "lowest", "no"),
    50: ("half", "halfway", "middle", "midway"),
    -100: ("tilt", "vent", "pop"),
    45: ("flat", "fully", "all the way"),
}


def numbers_grounded(call: ToolCall, text: str) -> bool:
    """Whether every absolute value of a model's call was said (as a number or an equivalent word).

    A small model fills a required number with a plausible one ("set the temperature to high in"
    became 25 degrees); a value nobody said must not reach the car.
    """
    args = call.arguments.model_dump(exclude_none=True)
    words = normalize(text)
    if "delta" in args and not _said_any(_RELATIVE, words):
        return False  # "set the temperature to 4D": an unheard value is no licence for a step
    said = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", words)]
    for key in _ABSOLUTE:
        if key not in args or isinstance(args[key], bool):
            continue
        value = float(args[key])
        if any(abs(n - value) < 1e-6 or (key == "percent" and abs(n * 10 - value) < 1e-6) for n in said):
            continue
        if _said_word(_QUALITATIVE.get(value, ()), words):
            continue
        if key == "level" and not said and call.name in ("set_seat_heating", "set_seat_ventilation", "set_massage"):
            continue  # "turn on the massage": the level is the tool's default, not a claim
        return False
    return True
