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
        place = getattr(call.arguments, "place", None)
        if place and place.lower() in words:
            return True
    return any(re.search(rf"\b{re.escape(cue)}", words) for cue in cues)
