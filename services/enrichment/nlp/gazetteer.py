"""A small world gazetteer: countries (ISO 3166-1 alpha-2), major cities and regions.

The data are two compact CSV files shipped with the service (``data/countries.csv``,
``data/places.csv``), written by hand from general world knowledge: every country,
capitals and large or newsworthy cities, regions and seas. It confirms and types
place names the NER model finds, recovers the ones it mislabels, and maps
demonyms ("North Korean") to their country.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

ISO_3166_URI = "https://www.iso.org/obp/ui/#iso:code:3166:{cc}"


@dataclass(frozen=True)
class Place:
    """One gazetteer entry. ``kind`` is country, city or region; ``cc`` may be ""
    for regions that span countries (Europe, the Middle East)."""

    name: str
    kind: str
    cc: str
    aliases: tuple[str, ...] = ()

    @property
    def uri(self) -> str | None:
        """A stable identifier: the ISO 3166 code page for a country, else None."""
        return ISO_3166_URI.format(cc=self.cc) if self.kind == "country" else None


@dataclass
class Gazetteer:
    by_name: dict[str, Place] = field(default_factory=dict)
    by_demonym: dict[str, Place] = field(default_factory=dict)
    surface: set[str] = field(default_factory=set)

    def lookup(self, name: str) -> Place | None:
        """The place called ``name`` (its name or an alias, case-sensitive first,
        then case-insensitive), or None."""
        return self.by_name.get(name) or self.by_name.get(name.casefold())

    def country_of_demonym(self, word: str) -> Place | None:
        """The country a demonym or adjective names ("Russian" → Russia), or None."""
        return self.by_demonym.get(word.casefold())

    def country(self, cc: str) -> Place | None:
        return self.by_name.get(f"cc:{cc}")

    def names(self) -> list[str]:
        """Every name and alias, as written (for phrase matching)."""
        return sorted(self.surface)


def _rows(file: str) -> list[dict[str, str]]:
    text = resources.files("services.enrichment.nlp").joinpath("data", file).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(";") if v.strip())


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (loaded once)."""
    gaz = Gazetteer()

    def add(place: Place) -> None:
        for name in (place.name, *place.aliases):
            bare = name[4:] if name.lower().startswith("the ") else name
            gaz.surface.add(bare)
            # Case-insensitive only for long names: "us" must never become the US.
            keys = (name, bare, bare.casefold()) if len(bare) > 4 and not bare.isupper() else (name, bare)
            for key in keys:
                gaz.by_name.setdefault(key, place)

    for row in _rows("countries.csv"):
        place = Place(row["name"], "country", row["cc"], _split(row["aliases"]))
        add(place)
        gaz.by_name[f"cc:{place.cc}"] = place
        for demonym in _split(row["demonyms"]):
            gaz.by_demonym.setdefault(demonym.casefold(), place)
    for row in _rows("places.csv"):
        add(Place(row["name"], row["kind"], row["cc"], _split(row["aliases"])))
    return gaz
