"""The deterministic parser: the catalogue's common phrasings in a few milliseconds.

Like Home Assistant's "prefer handling commands locally", it runs before the language model.
It reads a normalized sentence clause by clause (split on "and", "then", commas), finds the
function from its keywords, then the zone, the value and relative words. When a clause names
something it cannot place, it says "not sure" and the language model gets the request;
it never guesses an action.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.understanding.context import DialogueContext
from assistant.understanding.text import normalize

RawCall = tuple[str, dict[str, Any]]


@dataclass
class ParseResult:
    """What the parser made of a request."""

    calls: list[RawCall]
    """Tool calls, unvalidated: (name, arguments)."""
    sure: bool
    """False when part of the request was not understood: ask the model instead."""
    reason: str = ""
    """Why the parser is not sure (for logs and tests)."""
    normalized: str = ""
    """The normalized text the parser read."""


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

FILLER = {
    "uh", "um", "umm", "uhm", "er", "erm", "hmm", "hm", "ah", "oh", "eh", "like", "okay", "ok", "so", "well",
    "please", "hey", "yo", "hi", "just", "now", "right", "alright", "car", "assistant", "carvoice", "kindly",
    "maybe", "actually", "wait", "no", "sorry", "i", "mean", "quickly", "thank", "you", "thanks", "and", "the",
    "a", "an", "yeah", "yes", "would", "could", "can", "will", "want", "to", "be", "great", "good", "for", "me",
    "too", "also", "either", "though", "anyway", "there", "here",
}
"""Words that carry no request on their own."""

POLITE_PREFIXES = [
    "could you please", "can you please", "would you please", "will you please", "could you", "can you",
    "would you", "will you", "would you mind", "do you mind", "i would like you to", "i want you to",
    "i need you to", "please", "hey car", "hey carvoice", "ok car", "okay car", "hey", "alright", "okay", "ok",
    "so", "um", "uh", "well", "actually", "no wait", "wait", "sorry", "oops", "i mean", "no no", "then",
]

UNSUPPORTED = {
    # the car has none of these, or the assistant may not touch them
    "headlight": "the headlights", "headlights": "the headlights", "high beam": "the high beams",
    "high beams": "the high beams", "low beams": "the headlights", "fog lights": "the fog lights",
    "fog light": "the fog lights", "lights": "the lights", "light": "the lights", "hazard": "the hazard lights",
    "hazards": "the hazard lights", "indicator": "the indicators", "blinker": "the indicators",
    "wiper": "the wipers", "wipers": "the wipers", "radio": "the radio", "music": "music", "song": "music",
    "songs": "music", "playlist": "music", "podcast": "podcasts", "spotify": "music", "jazz": "music",
    "volume": "the volume", "horn": "the horn", "honk": "the horn", "trunk": "the trunk", "boot": "the trunk",
    "tailgate": "the tailgate", "frunk": "the front trunk", "airbag": "the airbags", "airbags": "the airbags",
    "cruise control": "cruise control", "autopilot": "autopilot", "self driving": "self-driving",
    "lane assist": "lane assist", "brake": "the brakes", "brakes": "the brakes", "handbrake": "the parking brake",
    "parking brake": "the parking brake", "engine": "the engine", "ignition": "the ignition", "gear": "the gears",
    "gears": "the gears", "mirror": "the mirrors", "mirrors": "the mirrors", "steering wheel": "the steering wheel",
    "steering": "the steering", "door lock": "the door locks", "doors": "the doors", "door": "the doors",
    "lock the car": "the door locks", "unlock": "the door locks", "call": "phone calls", "phone": "the phone",
    "dial": "phone calls", "text": "messages", "sms": "messages", "email": "email", "weather": "the weather",
    "news": "the news", "joke": "jokes", "jokes": "jokes", "sing": "singing", "story": "stories",
    "charge port": "the charge port", "charging flap": "the charge port", "camera": "the cameras",
    "alarm": "the alarm", "seatbelt": "the seat belts", "seat belt": "the seat belts", "tire": "the tyres",
    "tires": "the tyres", "tyre": "the tyres", "tyres": "the tyres", "suspension": "the suspension",
    "sport mode": "drive modes", "eco mode": "drive modes", "drive mode": "drive modes", "speed limiter": "the speed limiter",
    "accelerate": "driving", "speed up": "driving", "slow down": "driving", "overtake": "driving",
    "ambient lighting": "the ambient lighting", "reading light": "the reading lights", "dome light": "the interior lights",
    "brightness": "the display", "screen": "the display", "display": "the display", "child lock": "the child lock",
    "child locks": "the child lock", "heated steering wheel": "the steering wheel", "garage door": "the garage door",
    "fuel door": "the fuel door", "gas cap": "the fuel door", "hood": "the hood", "bonnet": "the hood",
    "play": "media", "pause": "media", "skip": "media", "movie": "media", "video": "media", "game": "games",
    "bluetooth": "bluetooth", "wifi": "wifi", "hotspot": "wifi", "massage chair": "that", "odometer": "the odometer",
    "temperature of the engine": "the engine", "oil": "the engine oil", "battery temperature": "the battery",
    "horsepower": "the engine", "speedometer": "the speedometer", "gps": "gps",
}
"""Functions the car lacks (or the assistant may not touch): word -> how the reply names them."""

HOSTILE = [
    "can frame", "can frames", "raw frame", "raw can", "can bus", "canbus", "0x", "hex", "firmware", "obd",
    "diagnostic", "diagnostics", "ecu", "flash", "inject", "payload", "byte", "bytes", "root access", "sudo",
    "shell", "command line", "execute", "developer mode", "debug mode", "god mode", "admin mode", "jailbreak",
    "override", "bypass", "disable the policy", "disable safety", "ignore your", "ignore all", "ignore previous",
    "ignore safety", "ignore the rules", "ignore the safety", "ignore any", "ignore every", "forget your",
    "forget all", "forget previous", "new instructions", "you are now", "from now on you", "pretend", "roleplay",
    "role play", "act as", "maintenance mode", "service mode", "factory mode", "test mode", "safety rules",
    "safety off", "safety checks", "without restrictions", "no restrictions", "unrestricted", "no limits",
    "system prompt", "your instructions", "your rules", "the rules", "hack", "hacked", "exploit", "disable limits",
    "remove limits", "speed limit off", "new rule", "trust me", "totally safe", "sensor is broken",
    "speed sensor", "emergency override", "override code", "control everything", "from the manufacturer",
    "as your administrator", "as an admin", "as admin", "i order you", "i command you", "it is an emergency",
    "this is an emergency", "nobody will know", "just this once", "you have permission", "you are allowed",
    "authorized", "authorised", "unlock all", "secret mode", "special mode",
]
"""Phrases of a request to reach below the tools (raw frames, modes that do not exist)."""

CHITCHAT = [
    "joke", "capital", "who is", "who are", "who was", "who won", "what is the meaning", "meaning of life",
    "how are you", "what is your name", "your name", "tell me about", "tell me a", "story", "poem", "recipe",
    "translate", "spell", "define", "calculate", "how much is", "what day", "what time", "date today",
    "hello", "hi there", "good morning", "good evening", "good night", "goodbye", "bye", "i love you",
    "you are", "are you", "do you", "sing", "president", "football", "score", "stock", "bitcoin",
    "population", "how old", "how many", "how tall", "who invented", "history", "math", "square root",
    "plus", "minus", "times", "divided",
]
"""Openings of talk that is not about the car."""

ON_WORDS = ["turn on", "switch on", "put on", "turn it on", "switch it on", "on", "start", "enable", "activate",
            "engage", "begin", "resume", "use", "want", "need", "with"]
OFF_WORDS = ["turn off", "switch off", "shut off", "turn it off", "switch it off", "off", "stop", "disable",
             "deactivate", "disengage", "cancel", "kill", "cut", "end", "no more", "without", "no", "dont",
             "do not", "enough"]

MORE = ["much", "a lot", "lot", "lots", "way", "significantly", "considerably", "far", "really", "very", "loads",
        "heaps", "tons", "substantially", "greatly"]
LITTLE = ["a bit", "a little", "little", "bit", "slightly", "a tad", "tad", "a touch", "touch", "a notch", "notch",
          "somewhat", "a smidge", "smidge", "marginally", "just a", "a degree", "one degree", "a hair", "an inch",
          "a few", "a crack", "crack", "mildly"]
ALL_THE_WAY = ["all the way", "fully", "completely", "totally", "entirely", "the whole way", "as far as",
               "wide", "maximum", "max", "full"]

UP_WORDS = ["warmer", "hotter", "warm up", "heat up", "warm it up", "heat it up", "turn up", "crank up", "raise",
            "increase", "higher", "up", "more", "boost", "bump up", "bump", "warm", "toastier", "toasty", "heat",
            "heater", "heating", "crank"]
DOWN_WORDS = ["cooler", "colder", "cool down", "cool it down", "cool off", "chill", "turn down", "lower", "decrease",
              "reduce", "down", "less", "cool", "drop", "colder", "chillier", "fresher"]

COLD = ["cold", "chilly", "freezing", "frozen", "shivering", "icy", "nippy", "frosty", "chilled", "brr", "brrr",
        "cool in here", "not warm enough", "too cool", "cold in here"]
HOT = ["hot", "boiling", "sweating", "sweaty", "roasting", "stuffy", "burning up", "too warm", "baking", "sweltering",
       "warm in here", "overheating", "muggy", "humid", "scorching", "not cool enough", "steaming", "cooking", "melting"]

# zone phrases, longest first wins; None means "the speaker's own"
_ZONE_PHRASES: list[tuple[str, str]] = [
    ("behind the driver", "rear-left"), ("behind driver", "rear-left"), ("behind the passenger", "rear-right"),
    ("behind passenger", "rear-right"), ("behind me", "@behind"),
    ("rear driver side", "rear-left"), ("back driver side", "rear-left"), ("driver side rear", "rear-left"),
    ("rear passenger side", "rear-right"), ("back passenger side", "rear-right"), ("passenger side rear", "rear-right"),
    ("rear left", "rear-left"), ("back left", "rear-left"), ("left rear", "rear-left"), ("left back", "rear-left"),
    ("rear right", "rear-right"), ("back right", "rear-right"), ("right rear", "rear-right"), ("right back", "rear-right"),
    ("front left", "driver"), ("left front", "driver"), ("front right", "passenger"), ("right front", "passenger"),
    ("driver side", "driver"), ("drivers side", "driver"), ("driver", "driver"), ("drivers", "driver"),
    ("front passengers", "front"),
    ("rear passengers", "rear"), ("back passengers", "rear"), ("rear passenger", "rear"), ("back passenger", "rear"),
    ("rear occupants", "rear"), ("back seats", "rear"), ("rear seats", "rear"), ("back seat", "rear"),
    ("rear seat", "rear"), ("backseat", "rear"), ("backseats", "rear"), ("second row", "rear"), ("back row", "rear"),
    ("rear row", "rear"), ("in the back", "rear"), ("the back", "rear"), ("back there", "rear"),
    ("kids", "rear"), ("children", "rear"), ("rear windows", "rear"), ("back windows", "rear"),
    ("rear zones", "rear"), ("rear zone", "rear"), ("back zones", "rear"), ("rear", "rear"),
    ("passenger side", "passenger"), ("front passenger", "passenger"), ("co driver", "passenger"),
    ("codriver", "passenger"), ("copilot", "passenger"), ("co pilot", "passenger"), ("shotgun", "passenger"),
    ("passenger", "passenger"), ("passengers", "passenger"), ("next to me", "@beside"), ("beside me", "@beside"),
    ("my wife", "@beside"), ("my husband", "@beside"),
    ("front seats", "front"), ("front row", "front"), ("first row", "front"), ("both front", "front"),
    ("front windows", "front"), ("front zones", "front"), ("in the front", "front"), ("up front", "front"),
    ("front", "front"),
    ("everywhere", "all"), ("everyone", "all"), ("everybody", "all"), ("all zones", "all"), ("all seats", "all"),
    ("all the seats", "all"), ("all windows", "all"), ("all the windows", "all"), ("every seat", "all"),
    ("every window", "all"), ("every zone", "all"), ("all around", "all"), ("whole car", "all"),
    ("entire car", "all"), ("whole cabin", "all"), ("entire cabin", "all"), ("all of them", "all"),
    ("all four", "all"), ("each", "all"), ("every", "all"), ("both", "all"), ("all", "all"), ("them all", "all"),
    ("left side", "driver"), ("right side", "passenger"), ("left", "driver"), ("right", "passenger"),
    ("my", "@own"), ("me", "@own"), ("mine", "@own"), ("myself", "@own"), ("back here", "@own"),
    ("in here", "@own"), ("here", "@own"), ("i", "@own"),
]
_ZONE_PHRASES.sort(key=lambda p: -len(p[0].split()))

_OTHER_DOMAINS = ("window", "windows", "seat", "seats", "fan", "level", "percent", "sunroof", "roof", "massage",
                  "navigate", "route", "minutes", "km", "kilometers", "miles", "speed", "mph")

_COLD_WORDS = {"cold", "chilly", "freezing", "frozen", "cool", "icy", "nippy", "frosty", "chilled", "shivering"}
_FEELING = re.compile(
    r"\b(i am|i feel|feeling|it is|it feels|getting|we are|he is|she is|they are|feels|i get|too|so|kind of|a bit|a little)"
    r"(?: \w+){0,3}? (warm|hot|cold|chilly|freezing|frozen|boiling|cool|toasty|stuffy|icy|nippy|sweaty)\b"
)

_SEAT_TOOLS = frozenset({"set_seat_heating", "set_seat_ventilation", "set_massage", "move_seat", "recline_seat"})

_SOFT_UNSUPPORTED = frozenset({
    "light", "lights", "door", "doors", "steering", "display", "screen", "call", "text", "play", "park", "gear",
    "drive", "store", "shop", "market", "speed up", "slow down", "accelerate", "volume", "brightness", "pause",
    "skip", "game", "video", "lock the car", "unlock", "mirror", "mirrors", "camera", "bluetooth",
})
"""Unsupported words that are also ordinary words next to a function the car has ("fan speed up")."""

ZONE_WORDS = {"driver", "passenger", "front", "rear", "back", "left", "right", "drivers", "passengers"}

POI_CATEGORIES: list[tuple[list[str], str]] = [
    (["charging station", "charging stations", "charger", "chargers", "charging point", "charging", "charge",
      "supercharger", "ev station", "recharge", "battery is low", "low battery", "battery low", "out of battery",
      "electricity", "plug in", "charge point", "battery", "juice"], "charging_station"),
    (["gas station", "petrol station", "fuel station", "filling station", "service station", "gas", "petrol",
      "fuel", "diesel", "fill up", "refuel", "tank is empty", "empty tank", "out of gas"], "fuel_station"),
    (["parking garage", "car park", "parking lot", "parking space", "parking spot", "parking", "garage",
      "somewhere to park", "place to park", "park the car", "park"], "parking"),
    (["restaurant", "restaurants", "something to eat", "food", "hungry", "eat", "dinner", "lunch", "breakfast",
      "bite", "diner", "starving", "meal", "brunch", "pizza", "burger"], "restaurant"),
    (["coffee", "cafe", "coffee shop", "espresso", "cappuccino", "latte", "tea", "thirsty", "drink",
      "caffeine"], "cafe"),
    (["hospital", "emergency room", "er", "emergency", "clinic", "doctor", "ambulance", "injured", "hurt myself",
      "medical"], "hospital"),
    (["pharmacy", "drugstore", "drug store", "chemist", "medicine", "medication", "pharmacist", "aspirin",
      "painkillers"], "pharmacy"),
    (["supermarket", "grocery store", "grocery", "groceries", "grocer", "market", "shopping", "shop",
      "store"], "supermarket"),
    (["car wash", "wash the car", "carwash", "clean the car", "car is dirty"], "car_wash"),
    (["hotel", "motel", "place to stay", "place to sleep", "somewhere to sleep", "somewhere to stay", "inn",
      "overnight", "accommodation", "bed"], "hotel"),
]

NAV_VERBS = [
    "navigate to", "navigate", "navigation to", "take me to", "take me", "drive me to", "drive me", "drive to",
    "bring me to", "bring me", "get me to", "get me", "directions to", "direction to", "directions",
    "route to", "route me to", "route me", "route", "head to", "heading to", "go to", "going to", "let us go to",
    "let us go", "how do i get to", "how do we get to", "how to get to", "how can i get to", "guide me to",
    "guide me", "set destination to", "set the destination to", "set destination", "destination",
    "set a course for", "set course for", "lead me to", "show me the way to", "way to", "travel to",
    "drive", "go", "find me", "find", "look for", "search for", "locate", "show me", "i need to get to",
    "we need to get to", "i want to go to", "we want to go to", "get to", "take us to", "take us", "drive us to",
    "drive us", "bring us to",
]
NAV_VERBS.sort(key=lambda p: -len(p.split()))

STATE_STATEMENT = re.compile(
    r"^(?:the|my|our|your|his|her|its|it|all|both|every|each)\b(?:(?!\b(?:please|turn|switch|set|make|put|open|close)\b).)*"
    r"\b(?:is|are)\b.*\b(?:on|off|open|opened|closed|shut)$")
"""A statement of state ("the window is open", "the level is my seat heating on"): speech loses the
question mark of "is the window open?", and saying how something is never asks to change it."""

ROLE_CLAIM = re.compile(
    r"\b(i am|i am now|i am actually|this is|(?:the )?passenger is|(?:the )?driver is|he is|she is|we are"
    r"|you are talking to)"
    r" (the |a |now the )?(driver|passenger|owner|admin|mechanic|engineer|technician|police|rear passenger)"
    r"( now| here| speaking| of this car)*(?! ?(seat|side|window|door|zone|s\b))")
"""A claim about who sits where: it changes nothing (the policy reads the seat from the request)."""

QUESTION_STARTS = {"what", "how", "is", "are", "where", "which", "when", "does", "do", "did", "was", "were",
                   "whats", "who", "why", "has", "have", "tell"}


# --------------------------------------------------------------------------------------------
# Clauses
# --------------------------------------------------------------------------------------------

@dataclass
class Clause:
    """A normalized piece of a request, searchable by word sequences."""

    words: list[str]
    recent: frozenset[str] = frozenset()
    """Tools of the earlier clauses of the request and of the session's last request."""
    padded: str = field(init=False)

    def __post_init__(self) -> None:
        self.padded = " " + " ".join(self.words) + " "

    @property
    def text(self) -> str:
        """The clause as text."""
        return " ".join(self.words)

    def has(self, *phrases: str) -> bool:
        """Whether any of the word sequences occurs."""
        return any(f" {p} " in self.padded for p in phrases)

    def which(self, phrases: list[str]) -> str | None:
        """The first of ``phrases`` (in the given order) that occurs."""
        for p in phrases:
            if f" {p} " in self.padded:
                return p
        return None

    def after(self, phrase: str) -> str:
        """The text after the first occurrence of ``phrase``."""
        idx = self.padded.find(f" {phrase} ")
        return self.padded[idx + len(phrase) + 2 :].strip() if idx >= 0 else ""

    def numbers(self) -> list[float]:
        """The numbers in the clause, in order."""
        return [float(w) for w in self.words if re.fullmatch(r"-?\d+(?:\.\d+)?", w)]

    def number_before(self, *units: str) -> float | None:
        """The number right before one of ``units`` (e.g. "22 degrees")."""
        for i, w in enumerate(self.words[1:], 1):
            if w in units and re.fullmatch(r"-?\d+(?:\.\d+)?", self.words[i - 1]):
                return float(self.words[i - 1])
        return None

    def number_after(self, *words: str) -> float | None:
        """The number right after one of ``words`` (e.g. "level 3"), skipping "to"/"at"/"of"/"the"."""
        for i, w in enumerate(self.words):
            if w in words:
                j = i + 1
                while j < len(self.words) and self.words[j] in ("to", "at", "of", "the", "on", "number", "is", "be"):
                    j += 1
                if j < len(self.words) and re.fullmatch(r"-?\d+(?:\.\d+)?", self.words[j]):
                    return float(self.words[j])
        return None

    def without(self, *phrases: str) -> Clause:
        """A copy with the phrases removed."""
        text = self.padded
        for p in phrases:
            text = text.replace(f" {p} ", " ")
        return Clause(text.split(), self.recent)


LEADING_VERBS = {"cool", "warm", "heat", "open", "close", "shut", "navigate", "set", "turn", "switch", "tilt", "move",
                 "recline", "ventilate", "defrost", "massage", "lower", "raise", "make", "put", "start", "stop",
                 "slide", "vent", "crack", "roll", "drive", "take", "route", "bring", "change", "increase",
                 "decrease", "reduce", "dim", "boost", "activate", "deactivate", "enable", "disable"}
"""Verbs after which a comma is the recogniser's pause, not the end of a request."""


_SEPARATORS = ("and", "then", "also", ",", "plus", "but", "afterwards", "after", "while")
_BARE_VALUE = re.compile(r"^(?:(?:a|at|to|about|around|on|of|maybe|like|uh|um)\s)*-?\d+(?:\.\d+)?"
                         r"(?:\s(?:percent|degrees|degree|celsius|fahrenheit|mm|cm|level|please))*$")


def _until_separator(words: list[str], start: int) -> list[str]:
    out: list[str] = []
    for w in words[start:]:
        if w in _SEPARATORS:
            break
        out.append(w)
    return out


def split_clauses(text: str) -> list[Clause]:
    """Clauses joined by "and", "then", "also", commas — but not "driver and passenger"."""
    words = text.split()
    clauses: list[list[str]] = [[]]
    i = 0
    while i < len(words):
        w = words[i]
        if w in _SEPARATORS:
            prev = clauses[-1][-1] if clauses[-1] else ""
            nxt = words[i + 1] if i + 1 < len(words) else ""
            nxt2 = words[i + 2] if i + 2 < len(words) else ""
            joins_zones = w == "and" and prev in ZONE_WORDS and (nxt in ZONE_WORDS or (nxt == "the" and nxt2 in ZONE_WORDS))
            joins_numbers = w == "and" and nxt in ("a", "half")
            # speech recognisers punctuate by ear: "Cool, my seat on level 2" is one request
            head = clauses[-1]
            comma_after_verb = w == "," and 1 <= len(head) <= 2 and head[0] in LEADING_VERBS and (
                len(head) == 1 or head[1] in ("up", "down", "on", "off", "in", "out"))
            # "open the window, 150 percent": a bare value belongs to the request before it
            value_after_comma = w == "," and head and _BARE_VALUE.match(" ".join(_until_separator(words, i + 1)))
            if comma_after_verb or value_after_comma:
                pass
            elif w == "after" and nxt != "that":
                clauses[-1].append(w)
            elif not joins_zones and not joins_numbers:
                if clauses[-1]:
                    clauses.append([])
                if w in ("after", "and") and nxt == "that":
                    i += 1
                i += 1
                continue
            else:
                clauses[-1].append(w)
        else:
            clauses[-1].append(w)
        i += 1
    return [Clause(c) for c in clauses if c]


def strip_polite(clause: Clause) -> Clause:
    """The clause without a polite or hesitant opening ("could you please", "no wait")."""
    words = list(clause.words)
    changed = True
    while changed and words:
        changed = False
        for p in sorted(POLITE_PREFIXES, key=lambda x: -len(x.split())):
            pw = p.split()
            if words[: len(pw)] == pw and len(words) > len(pw):
                words = words[len(pw) :]
                changed = True
                break
    while words and words[-1] in ("please", "thanks", "thank", "you", "now", "ok", "okay"):
        if words[-2:] == ["thank", "you"]:
            words = words[:-2]
        elif words[-2:] == ["right", "now"]:
            words = words[:-2]
        else:
            words = words[:-1]
    return Clause(words, clause.recent)


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------

@functools.cache
def vocabulary() -> frozenset[str]:
    """Every word (of four letters or more) that the parser's phrases contain.

    Read from the parser's own string constants, so it never lags behind them; the recogniser
    uses it to mend near-misses of these words ("unavigate" -> "navigate").
    """
    import ast

    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    words = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            words.update(w for w in re.findall(r"[a-z]+", node.value.lower()) if len(w) >= 4)
    return frozenset(words)


class RuleParser:
    """Deterministic understanding of the catalogue's common phrasings."""

    def parse(self, text: str, speaker: str = "driver", context: DialogueContext | None = None) -> ParseResult:
        """Tool calls for ``text`` said from ``speaker``'s seat, or "not sure"."""
        context = context or DialogueContext()
        norm = normalize(text)
        if norm in ("thanks", "thank you", "thank you very much", "thanks a lot", "cheers", "many thanks"):
            return ParseResult([("reply_only", {"reason": "greeting"})], True, normalized=norm)
        if not norm or all(w in FILLER or w == "," for w in norm.split()):
            return ParseResult([("reply_only", {"reason": "unclear"})], True, normalized=norm)
        # speech loses the full stop after a claim ("the passenger is the driver now move the driver
        # seat back"): cut claims out wherever they are, so their seat words name nothing
        norm = re.sub(r"\s+", " ", ROLE_CLAIM.sub(" , ", norm)).strip(" ,") or norm
        whole = Clause(norm.split())
        special = self._whole_sentence(whole)
        if special is not None:
            return ParseResult(special, True, normalized=norm)
        calls: list[RawCall] = []
        unsure: list[str] = []
        previous: list[RawCall] = []
        for raw_clause in split_clauses(norm):
            clause = strip_polite(raw_clause)
            clause.recent = frozenset([n for n, _ in previous] + ([context.function] if context.function else []))
            if not clause.words or all(w in FILLER for w in clause.words):
                continue
            got = self._clause(clause, speaker, context, previous)
            if got is None:
                if self._is_noise(clause):
                    continue
                unsure.append(clause.text)
                continue
            calls.extend(c for c in got if c not in calls)
            acting = [c for c in got if c[0] not in ("reply_only", "get_vehicle_state")]
            if acting:
                previous = acting
        if unsure:
            return ParseResult(calls, False, reason="not understood: " + " | ".join(unsure), normalized=norm)
        if not calls:
            return ParseResult([], False, reason="nothing recognised", normalized=norm)
        # a reply-only next to real actions is noise ("thanks, and open the window")
        if any(c[0] != "reply_only" for c in calls):
            calls = [c for c in calls if c[0] != "reply_only" or c[1].get("reason") in ("not_allowed", "unsupported_function")]
        return ParseResult(calls, True, normalized=norm)

    # -- whole-sentence decisions ----------------------------------------------------------------
    def _whole_sentence(self, s: Clause) -> list[RawCall] | None:
        hostile = s.which(HOSTILE)
        if hostile is not None and not s.has("ignore the noise"):
            return [("reply_only", {"reason": "not_allowed", "subject": hostile})]
        if s.words[:2] in (["thank", "you"], ["thanks"]) or s.text in ("thanks", "thank you", "cheers", "great",
                                                                         "perfect", "awesome", "nice", "cool"):
            if len(s.words) <= 4:
                return [("reply_only", {"reason": "greeting"})]
        return None

    def _is_noise(self, clause: Clause) -> bool:
        content = [w for w in clause.words if w not in FILLER]
        if not content or clause.text in ("system", "user", "assistant", "attention", "listen", "listen up"):
            return True
        # claims about who sits where change nothing: the policy reads the seat from the request
        return ROLE_CLAIM.fullmatch(clause.text) is not None

    # -- one clause ------------------------------------------------------------------------------
    def _clause(self, c: Clause, speaker: str, ctx: DialogueContext, previous: list[RawCall]) -> list[RawCall] | None:
        if c.has("his", "her", "their", "theirs", "hers", "somebody else", "someone else") and not c.has(
                "driver", "passenger", "rear", "back", "front", "left", "right"):
            return [("reply_only", {"reason": "unclear", "subject": "whose"})]
        for detector in (
            self._hostile_or_unsupported,
            self._question,
            self._cancel_navigation,
            self._defroster,
            self._seat_comfort,
            self._seat_position,
            self._recline,
            self._sunroof,
            self._window,
            self._air_distribution,
            self._ac,
            self._recirculation,
            self._fan,
            self._temperature,
            self._navigation,
            self._chitchat,
        ):
            got = detector(c, speaker, ctx)
            if got is not None:
                return self._inherit_zones(c, got, speaker, ctx)
        return self._follow_up(c, speaker, ctx, previous)

    @staticmethod
    def _inherit_zones(c: Clause, calls: list[RawCall], speaker: str, ctx: DialogueContext) -> list[RawCall]:
        """ "a bit warmer" / "close it again" act where the same speaker's last request acted."""
        if not ctx.last or ctx.speaker != speaker:
            return calls
        out: list[RawCall] = []
        for name, args in calls:
            key = _zone_key(name)
            relative = any(k.startswith("delta") for k in args)
            refers = c.has("it", "that", "them", "again", "those", "this one", "same")
            if key is None or key in args or not (relative or refers) or ctx.function != name:
                out.append((name, args))
                continue
            zones = ctx.zones_of(name, key, speaker)
            if not zones:
                out.append((name, args))
                continue
            out.extend((name, {**args, key: z}) for z in zones)
        return out

    # -- zones -----------------------------------------------------------------------------------
    @staticmethod
    def zones(c: Clause, speaker: str, *, ignore: tuple[str, ...] = ()) -> list[str | None]:
        """The zones a clause names; [None] for the speaker's own."""
        words = list(c.without("all the way", "all over", "all good", "all right", "after all", "at all").words)
        used = [False] * len(words)
        found: list[str] = []
        for phrase, zone in _ZONE_PHRASES:
            if phrase in ignore:
                continue
            pw = phrase.split()
            n = len(pw)
            for i in range(len(words) - n + 1):
                if words[i : i + n] == pw and not any(used[i : i + n]):
                    for k in range(i, i + n):
                        used[k] = True
                    found.append(zone)
        resolved: list[str | None] = []
        for z in found:
            if z == "@behind":
                z = {"driver": "rear-left", "passenger": "rear-right"}.get(speaker, "@own")
            elif z == "@beside":
                z = {"driver": "passenger", "passenger": "driver", "rear-left": "rear-right",
                     "rear-right": "rear-left"}[speaker]
            resolved.append(None if z == "@own" else z)
        specific = [z for z in resolved if z not in (None, "all")]
        if specific:
            # "front" + "driver"... keep the named ones, in order, once
            out: list[str | None] = []
            for z in specific:
                if z not in out:
                    out.append(z)
            if "front" in out and any(z in ("driver", "passenger") for z in out):
                out.remove("front")
            if "rear" in out and any(z in ("rear-left", "rear-right") for z in out):
                out.remove("rear")
            if set(out) == {"driver", "passenger"}:
                return ["front"]
            if set(out) == {"rear-left", "rear-right"}:
                return ["rear"]
            if set(out) == {"front", "rear"}:
                return ["all"]
            return out
        if "all" in resolved:
            return ["all"]
        return [None]

    # -- detectors -------------------------------------------------------------------------------
    def _hostile_or_unsupported(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        hostile = c.which(HOSTILE)
        if hostile:
            return [("reply_only", {"reason": "not_allowed", "subject": hostile})]
        ours = ("seat", "seats", "window", "windows", "sunroof", "temperature", "fan", "massage", "ac",
                "defroster", "defrost", "recirculation", "navigation", "route")
        for phrase in sorted(UNSUPPORTED, key=lambda p: -len(p.split())):
            if c.has(phrase):
                if phrase in _SOFT_UNSUPPORTED and c.has(*ours, "blower", "air", "heat", "heating", "cool", "warm"):
                    continue
                if phrase in ("call", "text", "story", "play", "game", "skip", "pause", "sing", "drive"):
                    continue  # too common as ordinary words; leave to other detectors
                if phrase == "brake" and c.has("take a break", "break"):
                    continue
                if phrase in ("steering wheel", "steering") and c.has("close to", "far from", "reach", "closer", "away from"):
                    continue
                return [("reply_only", {"reason": "unsupported_function", "subject": UNSUPPORTED[phrase]})]
        return None

    def _chitchat(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        if c.which(CHITCHAT) or (c.has("play", "sing", "call", "text") and not c.has("window", "seat", "fan")):
            return [("reply_only", {"reason": "out_of_domain"})]
        return None

    def _question(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        first = c.words[0]
        is_question = first in QUESTION_STARTS or c.has("tell me", "do you know", "can you tell", "i wonder",
                                                          "remind me", "check the", "check if", "check whether") \
            or STATE_STATEMENT.search(c.text) is not None
        if not is_question:
            return None
        # commands phrased as questions are not questions
        if c.has("how do i get to", "how do we get to", "how can i get to", "how to get to", "where can i",
                 "where is the nearest", "where is the closest", "where is a", "is there a", "are there any",
                 "is there any", "where can we", "what is the nearest", "what is the closest", "which way to"):
            return None
        if first == "why" and c.which(COLD + HOT):
            return None  # "why is it so cold in here" is a complaint
        if first in ("do", "does", "did") and c.has("you mind", "me a favor", "me a favour"):
            return None
        topic = self._topic(c)
        if topic is None:
            return [("reply_only", {"reason": "out_of_domain"})]
        zones = self.zones(c, speaker, ignore=("i", "me", "my"))
        args: dict[str, Any] = {"topic": topic}
        if zones[0] is not None:
            args["zone"] = zones[0]
        return [("get_vehicle_state", args)]

    @staticmethod
    def _topic(c: Clause) -> str | None:
        table = [
            (("outside", "outdoors", "out there", "ambient", "exterior"), "outside_temperature"),
            (("going", "destination", "route", "heading", "navigation", "arrive", "where are we", "eta"), "destination"),
            (("speed", "how fast", "driving at"), "speed"),
            (("child lock", "child locks"), "child_lock"),
            (("seat heating", "seat heater", "heated seat", "seat warm", "seats warm", "seat hot"), "seat_heating"),
            (("massage",), "massage"),
            (("sunroof", "roof"), "sunroof"),
            (("window", "windows"), "window"),
            (("seat",), "seat_position"),
            (("fan", "blower"), "fan_speed"),
            (("ac", "air conditioning", "aircon", "air con"), "air_conditioning"),
            (("recirculation",), "recirculation"),
            (("defrost", "defroster", "defogger"), "defroster"),
            (("air", "airflow", "blowing", "vents"), "air_distribution"),
            (("temperature", "temp", "degrees", "warm", "cold", "hot", "cool", "climate", "set to"), "temperature"),
        ]
        for words, topic in table:
            if c.has(*words):
                return topic
        return None

    def _cancel_navigation(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        verbs = ("cancel", "stop", "end", "clear", "abort", "quit", "terminate", "delete", "remove", "exit", "forget",
                 "turn off", "switch off", "no more", "never mind", "drop", "finish", "kill", "reset")
        nouns = ("route", "navigation", "navigating", "guidance", "destination", "directions", "trip", "the nav",
                 "nav", "routing", "navigate", "journey")
        if c.has(*verbs) and c.has(*nouns):
            return [("cancel_navigation", {})]
        if c.has("we are here", "i am here", "we have arrived", "i have arrived") and ctx.function == "navigate":
            return [("cancel_navigation", {})]
        return None

    def _on_off(self, c: Clause, default: bool | None = True) -> bool | None:
        off = c.which(OFF_WORDS)
        on = c.which(ON_WORDS)
        if off and not (on and on.startswith(("turn", "switch")) and not off.startswith(("turn", "switch"))):
            return False
        if on:
            return True
        return default

    def _defroster(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        defrost = c.has("defrost", "defroster", "defrosting", "defog", "defogger", "defogging", "demist", "demister",
                        "demisting", "de ice", "deice", "deicer", "de icer", "de mist", "de fog", "de frost") or (
            c.has("clear", "unfog", "unfreeze", "melt") and c.has("windshield", "windscreen", "front window", "glass",
                                                                  "rear window", "back window", "windows", "window"))
        glass = c.has("windshield", "windscreen", "front window", "front glass", "glass", "windows", "window",
                      "rear window", "back window", "rear windshield", "back windshield", "rear screen", "windscreens")
        fog = c.has("fog", "fogging", "fogged", "foggy", "fogs", "misted", "misting", "misty", "mist", "steamed",
                    "steaming", "steamy", "condensation", "frost", "frosted", "frosty", "iced", "ice", "icy",
                    "cannot see", "can not see", "hard to see", "do not see", "see anything", "see nothing",
                    "blurry", "hazy", "cloudy", "fogged up", "visibility")
        rear = c.has("rear", "back") and (glass or defrost or c.has("heater", "heating", "heated", "heat"))
        heated_rear = c.has("rear window heater", "rear window heating", "heated rear window", "back window heater",
                            "heated back window", "rear heater", "rear screen heater", "rear window heat",
                            "heat the rear window", "heat the back window")
        if not (defrost or (fog and (glass or c.has("i", "we", "cannot", "see"))) or heated_rear):
            return None
        if c.has("air") and c.has("at the windshield", "on the windshield", "to the windshield",
                                   "towards the windshield", "onto the windshield") and not defrost:
            return None
        on = self._on_off(c.without("use"), default=True)
        rear_glass = c.has("rear window", "back window", "rear windscreen", "rear windshield", "back windscreen",
                           "back windshield", "rear screen", "rear glass", "back glass", "rear windows")
        if rear_glass or heated_rear:
            feature = "rear_defroster"
        elif rear and not c.has("front", "windshield", "windscreen"):
            feature = "rear_defroster"
        else:
            feature = "front_defroster"
        calls: list[RawCall] = [("set_climate_feature", {"feature": feature, "on": bool(on)})]
        if c.has("both", "front and rear", "front and back", "rear and front", "all windows", "all the windows",
                 "every window", "everything", "all of them", "all glass"):
            calls = [("set_climate_feature", {"feature": f, "on": bool(on)}) for f in ("front_defroster", "rear_defroster")]
        return calls

    def _ac(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        if not c.has("ac", "air conditioning", "air conditioner", "aircon", "air con", "airconditioning",
                     "a c", "climate control", "air conditioned", "cooling system", "compressor"):
            return None
        on = bool(self._on_off(c.without("turn up", "turn down", "crank up", "crank", "up", "down")))
        calls: list[RawCall] = [("set_climate_feature", {"feature": "air_conditioning", "on": on})]
        rest = c.without("ac", "air conditioning", "air conditioner", "aircon", "air con", "a c", "climate control")
        temp = self._temperature(rest, speaker, ctx, require_domain=True)
        if temp:
            calls.extend(temp)
        elif on and c.has("up", "crank", "more", "max", "maximum", "higher", "stronger", "blast", "colder", "cooler",
                          "boost", "full"):
            # "crank up the AC" asks for colder air
            step = 2.0 if c.has("crank", "max", "maximum", "blast", "full", "lot") else 1.0
            calls.extend(("set_temperature", _zone_args(z, {"delta": -step})) for z in self.zones(rest, speaker))
        elif on and c.has("down", "less", "lower", "weaker"):
            calls.extend(("set_temperature", _zone_args(z, {"delta": 1.0})) for z in self.zones(rest, speaker))
        return calls

    def _recirculation(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        if c.has("recirculation", "recirculate", "recirculating", "recirc", "recycle the air", "recycled air",
                 "inside air", "internal air", "cabin air", "air recirculation", "circulate", "circulation",
                 "recycle air", "air recycling"):
            return [("set_climate_feature", {"feature": "recirculation", "on": bool(self._on_off(c.without("use")))})]
        if c.has("outside air", "fresh air", "external air", "outdoor air", "air from outside", "outside air mode",
                 "fresh air mode"):
            if c.has("window", "windows", "sunroof"):
                return None
            if c.has("keep", "block", "shut", "close", "stop", "no") and c.has("out", "block", "stop", "no"):
                return [("set_climate_feature", {"feature": "recirculation", "on": True})]
            if c.has("let", "let in", "some fresh air", "get some", "breath of", "breathe"):
                zones = _plural_means_all(c, self.zones(c, speaker), "windows")
                return [("set_window", _zone_args(z, {"delta": 25}, key="window")) for z in zones]
            on = self._on_off(c.without("use", "want", "need", "with"), default=True)
            return [("set_climate_feature", {"feature": "recirculation", "on": not on})]
        bad_air = c.has("stinks", "stink", "stinky", "fumes", "exhaust", "smoke", "smoky", "tunnel", "pollution",
                        "pollen", "dusty", "dust", "polluted", "smog") or (
            c.has("smell", "smells", "smelly", "odor", "odour") and c.has(
                "bad", "awful", "terrible", "horrible", "outside", "nasty", "gross", "disgusting", "weird", "funny"))
        if bad_air and not c.has("window", "windows", "seat"):
            return [("set_climate_feature", {"feature": "recirculation", "on": True})]
        return None

    def _air_distribution(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        airy = c.has("air", "airflow", "air flow", "blow", "blowing", "blows", "vent", "vents", "distribution",
                     "breeze", "draft", "draught", "direct", "point", "aim", "fan")
        if not airy:
            return None
        targets = [
            (("feet", "foot", "floor", "footwell", "footwells", "legs", "leg", "toes", "lower", "knees",
              "downwards", "downward", "down low", "bottom", "low"), "down"),
            (("windshield", "windscreen", "window", "windows", "glass", "upwards", "upward", "top", "upper",
              "ceiling", "roof", "defrost position"), "up"),
            (("face", "body", "chest", "upper body", "head", "middle", "center", "centre", "torso", "dashboard",
              "dash", "me", "front", "straight", "forward", "my direction", "towards me", "at me"), "middle"),
        ]
        ptr = c.has("at", "to", "towards", "toward", "on", "onto", "into", "in", "through", "from", "only", "mode")
        for words, direction in targets:
            if c.has(*words) and (ptr or c.has("distribution")):
                if direction == "middle" and c.has("me", "at me", "towards me") and not c.has(
                        "blow", "point", "aim", "direct", "air", "airflow"):
                    continue
                if c.has("fan") and not c.has("air", "airflow", "blow", "blowing", "distribution", "vents", "vent"):
                    continue
                zones = self.zones(c.without("me", "at me", "towards me", "my direction", "front", "middle",
                                             "low", "bottom", "top", "upper", "lower", "center", "centre", "straight"),
                                   speaker)
                return [("set_air_distribution", _zone_args(z, {"direction": direction})) for z in zones]
        if c.has("up") and c.has("air", "blow", "airflow") and ptr and not c.has("fan", "more", "turn", "speed"):
            return [("set_air_distribution", _zone_args(z, {"direction": "up"})) for z in self.zones(c, speaker)]
        return None

    def _fan(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        fan = c.has("fan", "fans", "blower", "fan speed", "ventilation", "ventilator", "airflow", "air flow")
        air_amount = c.has("more air", "less air", "stronger air", "weaker air", "air stronger", "air weaker",
                           "more airflow", "less airflow", "the air up", "the air down", "air up", "air down",
                           "more wind", "less wind", "air louder", "air quieter", "too drafty", "too windy",
                           "too much air", "not enough air", "the air is too strong", "air is too strong",
                           "air is too weak", "the air louder", "the air quieter", "air faster", "air slower",
                           "feel the air", "feel any air", "feel no air", "need more air", "air is weak",
                           "no air coming", "hardly any air")
        if not fan and not air_amount:
            return None
        zones = self.zones(c.without("the air up", "air up", "up"), speaker)
        level_n = c.number_after("level", "setting", "speed", "notch", "position", "stage", "gear")
        pct = c.number_before("percent", "pct")
        nums = c.numbers()

        def mk(args: dict[str, Any]) -> list[RawCall]:
            return [("set_fan_speed", _zone_args(z, args)) for z in zones]

        if pct is not None:
            return mk({"percent": _num(pct)})
        if level_n is not None:
            return mk({"level": _num(level_n)})
        if c.has("maximum", "max", "full", "highest", "top", "full blast", "all the way up", "full power",
                 "strongest", "fastest", "turbo", "hurricane", "full speed"):
            return mk({"percent": 100})
        if c.has("minimum", "min", "lowest", "weakest", "slowest", "gentle", "gentlest", "all the way down"):
            return mk({"level": 1})
        if c.has("off", "stop", "disable", "kill", "shut", "no fan", "no air", "quiet", "silence") and not c.has(
                "down", "lower", "less", "slower", "quieter", "reduce", "decrease"):
            return mk({"level": 0})
        if nums and c.has("to", "at", "on", "set", "make", "put", "fan"):
            n = nums[-1]
            if n < 0:
                return mk({"level": _num(n)})
            return mk({"level": _num(n)} if n <= 10 else {"percent": _num(n)})
        step = 20 if c.which(MORE) and not c.has("a little more", "a bit more", "little more", "bit more") else 10
        if c.has("up", "faster", "stronger", "more", "higher", "increase", "raise", "boost", "louder", "harder",
                 "crank", "not enough", "bump", "turn it up", "speed up", "intensify", "too weak", "barely",
                 "hardly", "cannot feel", "can not feel", "do not feel", "feel no", "no air"):
            return mk({"delta": step})
        if c.has("down", "slower", "weaker", "less", "lower", "decrease", "reduce", "quieter", "softer", "too much",
                 "too strong", "too loud", "too drafty", "too windy", "calm", "tone down", "dial back"):
            return mk({"delta": -step})
        if c.has("on", "start", "enable", "activate"):
            return mk({"level": 3})
        return None

    def _temperature(
        self, c: Clause, speaker: str, ctx: DialogueContext, *, require_domain: bool = False
    ) -> list[RawCall] | None:
        domain = c.has("temperature", "temp", "degrees", "degree", "celsius", "fahrenheit", "climate", "thermostat",
                       "heat", "heating", "heater", "warmer", "cooler", "hotter", "colder", "warm", "cool",
                       "chillier", "toastier", "warm up", "cool down", "heat up", "warmth")
        indirect_cold = c.which(COLD)
        indirect_hot = c.which(HOT)
        nums = c.numbers()
        if not domain and not indirect_cold and not indirect_hot:
            if require_domain or not nums:
                return None
            # a bare number counts after a temperature-ish verb ("set it to 22", "make it 21") or with a
            # climate zone ("set the passenger side to 23", "rear left 19")
            zoned = self.zones(c, speaker) != [None] and not c.has("window", "windows", "seat", "seats", "fan",
                                                                    "level", "percent", "sunroof", "roof")
            sayso = c.has("set it to", "make it", "set to", "put it on", "put it at", "set it at", "it to be",
                          "in here", "keep it at", "keep it", "have it at", "want it", "like it", "go to", "bring it to")
            if not ((sayso or zoned) and 14 <= nums[-1] <= 32) or c.has(*_OTHER_DOMAINS):
                return None
        zones = self.zones(c, speaker)

        def mk(args: dict[str, Any]) -> list[RawCall]:
            return [("set_temperature", _zone_args(z, args)) for z in zones]

        fahrenheit = c.has("fahrenheit", "f")
        by = c.number_after("by")
        deg = c.number_before("degrees", "degree", "celsius", "c", "fahrenheit")
        up = c.which(["warmer", "hotter", "toastier", "warm up", "heat up", "turn up", "crank up", "raise", "increase",
                      "higher", "up", "more", "boost", "bump up", "warm it up", "heat it up", "warm", "heat", "heater",
                      "heating", "crank"])
        down = c.which(["cooler", "colder", "chillier", "cool down", "cool it down", "cool off", "turn down", "lower",
                        "decrease", "reduce", "down", "less", "cool", "drop", "chill"])
        if up and down and up in ("warm", "heat", "heater", "heating") and down in ("down", "lower", "less", "reduce", "decrease", "drop", "turn down"):
            up = None  # "turn down the heat"
        if up and down and down in ("cool",) and up in ("up", "more", "higher"):
            down = None
        magnitude = 2.0 if (c.which(MORE) and not c.which(LITTLE)) else 1.0
        comparative = c.has("warmer", "hotter", "cooler", "colder", "chillier", "toastier", "by", "up", "down",
                            "raise", "increase", "lower", "decrease", "reduce", "more", "less", "higher", "drop")
        felt = _FEELING.search(c.text)
        if felt and not (indirect_cold or indirect_hot):
            word = felt.group(2)
            indirect_cold, indirect_hot = (word, None) if word in _COLD_WORDS else (None, word)
        complaint = (indirect_cold or indirect_hot) and not c.has("warmer", "hotter", "cooler", "colder")
        if complaint and c.has("that", "this") and (c.recent & _SEAT_TOOLS) and not c.has("in here", "car", "cabin"):
            return None  # "that's too hot" after seat heating: the follow-up handles it
        if complaint and not nums and not (indirect_cold and indirect_hot):
            if c.has("not cold", "not too cold", "no longer cold", "not hot", "not too hot", "no longer hot"):
                return None
            if c.has("seat", "seats", "feet", "hands", "butt", "my back", "back is", "outside", "weather"):
                return None
            return mk({"delta": 1.0 if indirect_cold else -1.0})
        if nums and not comparative and (up or down):
            up = down = None  # "put the heat on 24": a noun, not a direction
        explicit = by if by is not None else (deg if (deg is not None and (up or down) and not c.has("to", "at")) else None)
        if (up or down) and explicit is not None:
            step = abs(explicit) * (5 / 9 if fahrenheit else 1)
            return mk({"delta": step if (up and not (down and c.padded.find(f" {down} ") < c.padded.find(f" {up} "))) else -step})
        number = deg if deg is not None else (nums[-1] if nums else None)
        if number is not None and not (up or down):
            celsius = (number - 32) * 5 / 9 if (fahrenheit or number >= 50) and not c.has("celsius") else number
            if fahrenheit or (number >= 50 and c.has("fahrenheit")):
                celsius = round(celsius * 2) / 2
            elif number >= 50:
                celsius = number  # out of range in Celsius: refused with the range
            return mk({"celsius": float(celsius)})
        if number is not None and (up or down) and c.has("to", "at", "set"):
            return mk({"celsius": float(number)})
        if up and not (down and up in ("warm", "heat")):
            if up in ("heat", "heater", "heating", "warm") and not c.has("up", "more", "warmer", "raise", "increase",
                                                                          "turn on", "switch on", "on", "please",
                                                                          "a bit", "a little", "some"):
                if indirect_cold is None:
                    return None
            if c.has("off", "stop", "disable") and up in ("heat", "heater", "heating"):
                return mk({"delta": -magnitude})
            return mk({"delta": magnitude})
        if down:
            return mk({"delta": -magnitude})
        if indirect_cold and not indirect_hot:
            if c.has("not cold", "not too cold", "no longer cold") or c.has("seat", "seats", "feet", "hands"):
                return None
            return mk({"delta": 1.0})
        if indirect_hot and not indirect_cold:
            if c.has("not hot", "not too hot", "no longer hot", "seat", "seats"):
                return None
            return mk({"delta": -1.0})
        return None

    def _seat_comfort(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        seat = c.has("seat", "seats", "butt", "bum", "bottom", "backside", "behind", "cushion", "seat warmer",
                     "seat warmers", "seat heater", "seat heaters", "seat cooler")
        massage = c.has("massage", "massager", "massaging", "back rub", "knead", "kneading", "shiatsu", "lumbar massage")
        sore = c.has("back hurts", "back is sore", "sore back", "back pain", "back ache", "backache", "back aches",
                     "back is stiff", "stiff back", "back is killing me", "tense", "tension", "aching", "ache", "aches",
                     "muscles hurt", "shoulders hurt", "shoulders are tense", "hurts", "sore", "stiff", "tight",
                     "pain", "painful", "killing me")
        heat = c.has("heat", "heating", "heated", "heater", "heaters", "warm", "warmer", "warming", "warm up",
                     "toasty", "toastier", "hot", "warmth")
        cool = c.has("cool", "cooling", "cooled", "cooler", "ventilate", "ventilation", "ventilated", "vent",
                     "ventilating", "fan", "air", "chill", "chilled", "cold air", "sweaty", "sweating", "cold")
        if massage or (sore and not seat and c.has("back", "shoulders", "muscles")):
            kind = "set_massage"
        elif c.has("heated seat", "heated seats", "seat heating", "seat heater", "seat heaters", "seat warmer",
                   "seat warmers", "butt warmer", "bum warmer"):
            kind = "set_seat_heating"
        elif c.has("seat ventilation", "seat cooling", "ventilated seat", "ventilated seats", "cooled seat",
                   "cooled seats", "seat vent", "seat vents", "seat fan", "seat fans", "cooling seat", "seat cooler"):
            kind = "set_seat_ventilation"
        elif seat and heat and not (cool and c.has("cool", "cooling", "ventilat", "sweaty")):
            if c.has("seat is hot", "seat is too hot", "seat is too warm", "seat is warm", "seats are hot") and not c.has(
                    "heat my", "heat the", "warm my", "warm the", "warm up"):
                return [("set_seat_heating", _zone_args(z, {"level": 0}, key="seat")) for z in self.zones(c, speaker)]
            kind = "set_seat_heating"
        elif seat and cool:
            if c.has("seat is cold", "seats are cold", "seat is freezing", "cold seat"):
                kind = "set_seat_heating"
            else:
                kind = "set_seat_ventilation"
        elif c.has("butt is cold", "bum is cold", "bottom is cold", "my butt", "my bum"):
            kind = "set_seat_heating"
        elif c.has("sweaty", "sweating", "sticky", "clammy") and c.has("back", "butt", "bum", "bottom", "legs"):
            kind = "set_seat_ventilation"
        else:
            return None
        if c.has("move", "slide", "forward", "backward", "backwards", "recline", "upright", "legroom") and not (
                massage or c.has("heat", "heating", "warm", "cool", "vent")):
            return None
        c = c.without("lower back", "upper back", "my back", "back hurts", "back is sore", "back pain")
        keep_behind = c.has("behind me", "behind the", "behind you", "behind him", "behind her")
        zones = self.zones(c if keep_behind else c.without("behind", "back"), speaker)
        zones = _plural_means_all(c, zones, "seats")
        level = c.number_after("level", "setting", "stage", "intensity", "notch", "position", "to", "on", "at")
        if level is None and c.numbers() and c.has("level"):
            level = c.numbers()[-1]
        args: dict[str, Any]
        off = self._on_off(c.without("seat warmer", "heat", "fan", "warm", "cool"), default=None) is False or c.has(
            "off", "no more", "stop", "disable")
        if c.has("seat is too hot", "seat is too warm", "seats are too hot") and kind == "set_seat_heating":
            off = False
            args = {"delta": -1}
        elif off and not c.has("turn down", "lower", "reduce", "decrease", "less"):
            args = {"level": 0}
        elif level is not None:
            args = {"level": _num(level)}
        elif c.has("maximum", "max", "highest", "full", "high", "hottest", "strongest", "hot", "all the way up"):
            args = {"level": 3}
        elif c.has("medium", "mid", "middle", "moderate", "normal"):
            args = {"level": 2}
        elif c.has("low", "lowest", "minimum", "min", "gentle", "gently", "soft", "light"):
            args = {"level": 1}
        elif c.has("up", "more", "higher", "increase", "raise", "warmer", "hotter", "stronger", "boost") and c.has(
                "turn", "crank", "more", "higher", "increase", "raise", "warmer", "hotter", "stronger", "boost") and not c.has("warm up"):
            args = {"delta": 1}
        elif c.has("turn down", "turn it down", "less", "lower", "decrease", "reduce", "weaker", "softer", "gentler",
                   "dial down", "down a", "down one", "tone down", "notch down", "too hot", "too warm", "too strong"):
            args = {"delta": -1}
        else:
            args = {"level": 2 if kind == "set_massage" else 3}
        return [(kind, _zone_args(z, args, key="seat")) for z in zones]

    def _seat_position(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        seat = c.has("seat", "seats", "chair") or (
            c.has("move me", "slide me", "scoot me", "push me", "shift me", "scoot", "move us")
            and c.has("forward", "forwards", "back", "backward", "backwards", "closer", "ahead")) or (
            c.has("move it", "slide it", "push it") and bool(c.recent & _SEAT_TOOLS))
        mover = c.has("move", "slide", "push", "shift", "scoot", "adjust", "bring", "put", "set", "pull", "go")
        legroom = c.has("legroom", "leg room", "more room", "more space", "cramped", "knees", "too close to the wheel",
                        "too close to the steering wheel", "cannot reach the pedals", "can not reach the pedals",
                        "too far from the wheel", "too far from the pedals", "reach the pedals", "squished", "squeezed")
        if not (seat or legroom) or c.has("recline", "backrest", "upright", "lean", "seatback", "seat back angle",
                                           "back rest", "tilt", "sit up", "straighten"):
            return None
        back = c.has("back", "backward", "backwards", "rearward", "rearwards", "further back", "away from the wheel",
                     "away from the steering wheel", "more legroom", "more leg room", "more room", "more space",
                     "cramped", "too close to the wheel", "too close to the steering wheel", "squished", "squeezed")
        fwd = c.has("forward", "forwards", "ahead", "closer", "front", "toward the wheel", "towards the wheel",
                    "cannot reach the pedals", "can not reach the pedals", "too far from the wheel",
                    "too far from the pedals", "nearer")
        if c.has("back seat", "back seats", "rear seat", "rear seats", "backseat") and not c.has(
                "move", "slide", "push", "shift", "scoot", "forward", "backward"):
            return None
        if not (back or fwd) and not (mover and c.numbers()):
            return None
        if not (mover or legroom or back or fwd):
            return None
        zones = self.zones(c.without("back", "front", "in front", "backward", "backwards", "forward", "forwards"), speaker)
        mm_n = c.number_before("mm", "millimeters", "millimetres", "millimeter")
        cm_n = c.number_before("cm", "centimeters", "centimetres", "centimeter")
        in_n = c.number_before("inch", "inches")
        amount = mm_n if mm_n is not None else (cm_n * 10 if cm_n is not None else (in_n * 25 if in_n is not None else None))
        if c.has(*ALL_THE_WAY[:7], "as far as possible", "furthest", "farthest", "fully"):
            return [("move_seat", _zone_args(z, {"position_mm": 300 if back and not fwd else 0}, key="seat")) for z in zones]
        if amount is None:
            amount = 25 if c.which(LITTLE) else (100 if c.which(MORE) else 50)
        sign = 1 if back and not fwd else -1
        if back and fwd:  # "move my seat back, no, forward": the later word wins
            sign = 1 if c.padded.rfind(" back") > max(c.padded.rfind(" forward"), c.padded.rfind(" closer")) else -1
        return [("move_seat", _zone_args(z, {"delta_mm": _num(sign * amount)}, key="seat")) for z in zones]

    def _recline(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        recline = c.has("recline", "reclined", "reclining", "lean back", "lay back", "lie back", "tilt back",
                        "tilt my seat", "tilt the seat", "lean the seat", "backrest back", "lower the backrest",
                        "put the seat back", "seat back down", "lean me back", "nap", "lie down", "lay down",
                        "tilt the backrest", "tilt my backrest", "backrest down") or (
            c.has("lean", "tilt", "lay", "drop", "let", "put") and c.has("back", "backwards", "backward")
            and c.has("seat", "backrest", "seatback", "me", "my"))
        upright = c.has("upright", "straighten", "straight up", "sit up", "sit me up", "raise the backrest",
                        "backrest up", "straighter", "more vertical", "vertical", "sit straight", "bring the backrest up",
                        "bring my backrest up", "backrest forward", "less reclined", "less recline", "un recline")
        backrest = c.has("backrest", "back rest", "seatback", "seat back angle", "recline")
        if not (recline or upright or (backrest and c.numbers())):
            return None
        zones = self.zones(c.without("back", "lean back", "lay back", "tilt back", "backrest back", "seat back"), speaker)
        deg = c.number_before("degrees", "degree")
        if deg is None and backrest and c.numbers() and c.has("to", "at", "set"):
            deg = c.numbers()[-1]
        if deg is not None and not c.has("by", "more", "further"):
            return [("recline_seat", _zone_args(z, {"degrees": float(deg)}, key="seat")) for z in zones]
        if upright and not recline:
            if c.which(LITTLE) or c.has("more upright", "straighter", "less reclined", "less recline", "bit"):
                return [("recline_seat", _zone_args(z, {"delta_degrees": -(deg or 5.0)}, key="seat")) for z in zones]
            return [("recline_seat", _zone_args(z, {"degrees": 0.0}, key="seat")) for z in zones]
        if c.has(*ALL_THE_WAY[:7], "flat", "as far as", "maximum", "max", "nap", "lie down", "lay down"):
            return [("recline_seat", _zone_args(z, {"degrees": 45.0}, key="seat")) for z in zones]
        step = deg or (5.0 if c.which(LITTLE) else (20.0 if c.which(MORE) else 10.0))
        return [("recline_seat", _zone_args(z, {"delta_degrees": step}, key="seat")) for z in zones]

    def _sunroof(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        roof = c.has("sunroof", "sun roof", "moonroof", "moon roof", "roof", "panoramic roof", "panorama roof",
                     "sliding roof", "roof window", "glass roof", "sunshade")
        tilt = c.has("tilt", "tilted", "tilting", "vent", "pop up", "pop it up", "raise the back", "lift") or (
            c.has("pop") and c.has("up"))
        refers = c.has("it", "that") and ctx.function == "set_sunroof"
        if not roof and not (tilt and refers) and not (tilt and c.has("it") and not c.has("seat", "backrest")):
            return None
        if not roof and tilt and not refers and ctx.function not in (None, "set_sunroof"):
            return None
        if tilt and not c.has("close", "shut", "untilt"):
            return [("set_sunroof", {"position": -100})]
        return self._opening(c, "set_sunroof", [None], key=None)

    def _window(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        if not c.has("window", "windows", "windowss"):
            refers = c.has("it", "that", "them") and ctx.function == "set_window"
            if not refers:
                return None
            if not c.has("open", "close", "shut", "lower", "raise", "roll", "down", "up", "crack", "halfway", "half"):
                return None
        if c.has("everything", "all of it") and c.has("close", "shut"):
            pass
        zones = self.zones(c.without("down", "up", "back here", "next to me", "beside me", "by me", "my side"), speaker)
        if c.has("back here", "in the back here") and speaker.startswith("rear"):
            zones = [None]
        zones = _plural_means_all(c, zones, "windows")
        return self._opening(c, "set_window", zones, key="window")

    def _opening(self, c: Clause, tool: str, zones: list[str | None], key: str | None) -> list[RawCall] | None:
        pct = c.number_before("percent", "pct", "%")
        open_w = c.has("open", "opened", "lower", "roll down", "put down", "wind down", "down", "crack", "vent",
                       "let in", "let some", "slide open", "air out", "more")
        close_w = c.has("close", "closed", "shut", "raise", "roll up", "put up", "wind up", "up", "seal")
        if open_w and close_w:
            # the later verb wins: "close it again" after "open"
            o = max(c.padded.rfind(f" {w} ") for w in ("open", "lower", "down", "crack", "vent", "more"))
            k = max(c.padded.rfind(f" {w} ") for w in ("close", "closed", "shut", "raise", "up", "seal"))
            open_w, close_w = o > k, k > o
        field = "percent_open" if tool == "set_window" else "position"

        def mk(args: dict[str, Any]) -> list[RawCall]:
            if key is None:
                return [(tool, args)]
            return [(tool, _zone_args(z, args, key=key)) for z in zones]

        fraction = None
        for words, value in ((("halfway", "half way", "half", "in half", "midway", "middle"), 50),
                             (("a third", "one third", "third"), 33), (("a quarter", "quarter", "one quarter"), 25),
                             (("three quarters", "three quarter"), 75), (("two thirds",), 67)):
            if c.has(*words):
                fraction = value
                break
        if pct is None and fraction is None:
            nums = [n for n in c.numbers() if 0 <= n <= 100]
            if nums and c.has("to", "at", "by", "percent", "open", "close"):
                pct = nums[-1]
        if close_w and not open_w:
            if c.which(LITTLE) and fraction is None and pct is None:
                return mk({"delta": -25})
            if fraction is not None:
                return mk({field: 100 - fraction} if c.has("way") else {field: fraction})
            if pct is not None and c.has("by"):
                return mk({"delta": -_num(pct)})
            if pct is not None:
                return mk({field: _num(pct)})
            return mk({field: 0})
        if open_w or pct is not None or fraction is not None:
            if fraction is not None:
                return mk({field: fraction})
            if pct is not None:
                return mk({"delta": _num(pct)} if c.has("by", "more", "another") else {field: _num(pct)})
            if c.which(LITTLE) or c.has("crack", "let some", "bit", "slightly", "a little"):
                if c.has(*ALL_THE_WAY[:7]):
                    return mk({field: 100})
                return mk({"delta": 25})
            if c.has("more", "further", "wider") and not c.has("open it all", "all the way"):
                return mk({"delta": 25})
            return mk({field: 100})
        return None

    def _navigation(self, c: Clause, speaker: str, ctx: DialogueContext) -> list[RawCall] | None:
        verb = c.which(NAV_VERBS)
        category = None
        for words, cat in POI_CATEGORIES:
            if c.has(*words):
                category = cat
                break
        need = c.has("i need", "we need", "need", "i am", "we are", "low on", "running out", "running low", "out of",
                     "almost empty", "nearly empty", "nearest", "closest", "nearby", "near", "around here",
                     "close by", "somewhere", "i want", "we want", "looking for", "is there", "where is", "where can",
                     "any", "let us get", "grab", "get some", "get a", "have to", "must")
        if category and verb and not c.has("nearest", "closest", "nearby", "a", "an", "some", "any", "next"):
            # "navigate to Olympic Park" names a place that contains a category word
            named = _place_text(c.after(verb))
            if named and not _is_category_phrase(named):
                category = None
        if category and (verb or need):
            if category == "parking" and not c.has("parking", "park", "garage", "car park"):
                category = None
            elif category == "cafe" and c.has("drink") and not c.has("coffee", "cafe", "thirsty", "a drink"):
                category = None
            else:
                return [("navigate", {"category": category})]
        home = c.has("home", "my house", "my place", "house", "back home", "my flat", "my apartment")
        work = c.has("work", "the office", "my office", "office", "my job", "job", "workplace", "my work")
        if verb is None:
            if (home or work) and c.has("go", "drive", "head", "take", "bring", "get", "navigate", "route", "return",
                                         "time to go", "let us", "want"):
                return [("navigate", {"place": "home" if home else "work"})]
            return None
        place = _place_text(c.after(verb))
        if verb in ("drive", "go", "find", "find me", "show me", "look for", "search for", "locate", "get me",
                    "take me", "take us", "bring me", "get to", "route", "destination", "directions", "way to"):
            if not place and not (home or work):
                return None
        if home and (not place or place in ("home", "my home", "my house", "house", "my place", "back home")):
            return [("navigate", {"place": "home"})]
        if work and (not place or place in ("work", "office", "my office", "the office", "my job", "job", "my work")):
            return [("navigate", {"place": "work"})]
        if not place:
            return None
        if verb in ("find", "find me", "show me", "look for", "search for", "locate", "go", "drive") and len(place.split()) > 6:
            return None
        return [("navigate", {"place": place})]

    # -- references to earlier requests ---------------------------------------------------------
    def _follow_up(
        self, c: Clause, speaker: str, ctx: DialogueContext, previous: list[RawCall]
    ) -> list[RawCall] | None:
        zones = self.zones(c, speaker)
        named_zone = zones != [None]
        same = c.has("same", "too", "as well", "also", "likewise", "for", "and", "the same", "ditto", "that", "it",
                     "as") or named_zone
        # within one request: "set the driver to 22 and the passenger to 23"
        if previous and named_zone and same:
            out: list[RawCall] = []
            nums = c.numbers()
            for name, args in previous:
                key = "seat" if "seat" in args else ("window" if "window" in args else "zone")
                new_args = {k: v for k, v in args.items() if k != key}
                if nums and len(new_args) == 1:
                    k = next(iter(new_args))
                    if isinstance(new_args[k], (int, float)) and not isinstance(new_args[k], bool) and k != "delta":
                        new_args[k] = _num(nums[-1]) if k != "celsius" else float(nums[-1])
                for z in zones:
                    out.append((name, _zone_args(z, new_args, key=key)))
            return out or None
        if not ctx.last:
            return None
        last = ctx.last
        if not named_zone and c.has("mine", "me", "my", "myself", "my side", "for me") and same:
            zones, named_zone = [speaker], True
        if c.has("undo", "revert", "put it back", "change it back", "set it back", "go back to how it was",
                 "as it was", "like before", "reverse that", "take that back", "restore"):
            return [("undo", {})]  # resolved by the pipeline from the context's "before" values
        if named_zone and same:
            out = []
            for ex in last:
                key = _zone_key(ex.name)
                if key is None:
                    continue
                for z in zones:
                    out.append((ex.name, _zone_args(z, {k: v for k, v in ex.absolute.items() if k != key}, key=key)))
            return out or None
        if c.has("all the way", "fully", "completely", "the whole way", "the rest of the way", "max", "maximum"):
            out = []
            for ex in last:
                full = _full(ex)
                if full is not None:
                    out.append(full)
            if out:
                return out
        if c.which(HOT + COLD) and c.has("that", "this", "it"):
            out = []
            for ex in last:
                step = _step(ex, -1 if c.which(HOT) else 1, little=False) if ex.name in (
                    "set_seat_heating", "set_temperature") else None
                if step is not None:
                    out.append((step[0], {**step[1], **({"delta": -1 if c.which(HOT) else 1} if ex.name == "set_seat_heating" else {})}))
            if out:
                return out
        refers = c.has("it", "that", "them", "this", "again", "those", "one")
        off = c.has("off", "stop", "disable", "deactivate", "kill", "no more", "close", "shut", "cancel", "end")
        on = c.has("on", "start", "enable", "activate", "open", "back on")
        if (refers or len(c.words) <= 3) and (off or on):
            out = []
            for ex in last:
                args = _switch(ex, on=not off)
                if args is None:
                    continue
                out.append(args)
            return out or None
        more = c.has("more", "further", "again", "another", "higher", "increase", "even", "bit more", "little more",
                     "up", "stronger", "warmer", "some more")
        less = c.has("less", "lower", "decrease", "down", "weaker", "reduce", "back down", "not so much", "too much")
        if more or less:
            out = []
            for ex in last:
                step = _step(ex, -1 if less and not more else 1, little=bool(c.which(LITTLE)))
                if step is not None:
                    out.append(step)
            return out or None
        return None


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

_ZONE_KEYS = {
    "set_temperature": "zone", "set_fan_speed": "zone", "set_air_distribution": "zone", "set_seat_heating": "seat",
    "set_seat_ventilation": "seat", "set_massage": "seat", "move_seat": "seat", "recline_seat": "seat",
    "set_window": "window",
}


def _zone_key(tool: str) -> str | None:
    return _ZONE_KEYS.get(tool)


def _zone_args(zone: str | None, args: dict[str, Any], key: str = "zone") -> dict[str, Any]:
    out = dict(args)
    if zone is not None:
        out[key] = zone
    return out


def _num(x: float) -> int:
    return int(round(x))


def _switch(ex: Any, *, on: bool) -> RawCall | None:
    key = _zone_key(ex.name)
    base = {key: ex.zone} if key and ex.zone else {}
    if ex.name == "set_climate_feature":
        return ("set_climate_feature", {"feature": ex.absolute["feature"], "on": on})
    if ex.name in ("set_seat_heating", "set_seat_ventilation", "set_massage"):
        return (ex.name, {**base, "level": 3 if on and ex.name != "set_massage" else (2 if on else 0)})
    if ex.name == "set_fan_speed":
        return (ex.name, {**base, "level": 3 if on else 0})
    if ex.name == "set_window":
        return (ex.name, {**base, "percent_open": 100 if on else 0})
    if ex.name == "set_sunroof":
        return (ex.name, {"position": 100 if on else 0})
    if ex.name == "navigate" and not on:
        return ("cancel_navigation", {})
    return None


def _step(ex: Any, sign: int, *, little: bool) -> RawCall | None:
    key = _zone_key(ex.name)
    base = {key: ex.zone} if key and ex.zone else {}
    direction = ex.direction or 1
    s = sign * direction
    steps = {
        "set_temperature": ("delta", 1.0), "set_fan_speed": ("delta", 10), "set_window": ("delta", 25),
        "set_seat_heating": ("delta", 1), "set_seat_ventilation": ("delta", 1), "set_massage": ("delta", 1),
        "move_seat": ("delta_mm", 25 if little else 50), "recline_seat": ("delta_degrees", 5.0 if little else 10.0),
        "set_sunroof": ("delta", 25),
    }
    if ex.name not in steps:
        return None
    field, size = steps[ex.name]
    return (ex.name, {**base, field: s * size})


def _place_text(text: str) -> str:
    """A spoken destination without articles and politeness."""
    place = re.sub(r"^(to|towards|toward|for|the|a|an|me|us|please|now|some|my)\s+", "", text)
    place = re.sub(r"^(to|the|a|an)\s+", "", place)
    place = re.sub(r"(\s+(please|now|right now|thanks|thank you|asap|quickly|immediately|instead|then|too|again|"
                   r"as well|for me|for us|straight away|right away))+$", "", place)
    return place.strip()


_CATEGORY_PHRASES = {w for words, _ in POI_CATEGORIES for w in words}


def _is_category_phrase(text: str) -> bool:
    text = re.sub(r"^(nearest|closest|next|nearby|local|good|cheap)\s+", "", text)
    text = re.sub(r"\s+(nearby|near me|near here|around here|close by|in the area)$", "", text)
    return text in _CATEGORY_PHRASES or text.rstrip("s") in _CATEGORY_PHRASES


def _plural_means_all(c: Clause, zones: list[str | None], plural: str) -> list[str | None]:
    """ "close the windows", "heat the seats": every one the speaker may control."""
    if zones == [None] and c.has(plural) and not c.has("my", "mine", "our", "me"):
        return ["all"]
    return zones


def _full(ex: Any) -> RawCall | None:
    """ "all the way" after a partial movement: finish it in the same direction."""
    key = _zone_key(ex.name)
    base = {key: ex.absolute[key]} if key and key in ex.absolute else {}
    before = next(iter(ex.before.values()), None) if ex.before else None
    if ex.name == "set_window":
        opening = before is None or ex.absolute["percent_open"] >= (before or 0)
        return ("set_window", {**base, "percent_open": 100 if opening else 0})
    if ex.name == "set_sunroof":
        return ("set_sunroof", {"position": 100 if ex.absolute["position"] >= 0 else -100})
    if ex.name == "move_seat":
        back = before is None or ex.absolute["position_mm"] >= before
        return ("move_seat", {**base, "position_mm": 300 if back else 0})
    if ex.name == "recline_seat":
        return ("recline_seat", {**base, "degrees": 45.0 if before is None or ex.absolute["degrees"] >= before else 0.0})
    return None
