"""The finder's data file: what it holds, how compact it is, and that record text stays data."""

from __future__ import annotations

import json

import pytest

from tests.sample_trials import hostile_trial, palmira, polar
from trialpress.corpus import Corpus
from trialpress.finder import GLOBAL, age_in_years, finder_data, finder_script, places
from trialpress.models import GeoPoint, Location, Trial

PREFIX = f"window.{GLOBAL} = ".encode()


def _decode(script: bytes) -> dict:
    assert script.startswith(PREFIX) and script.endswith(b";\n")
    return dict(json.loads(script[len(PREFIX) : -2]))


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("1 Year", 1.0),
        ("18 Months", 1.5),
        ("6 Weeks", 6 * 7 / 365.25),
        ("28 Days", 28 / 365.25),
        ("N/A", None),
        (None, None),
        ('onerror="alert(2)">', None),
    ],
)
def test_age_limits_convert_to_years(text: str | None, years: float | None) -> None:
    assert age_in_years(text) == years


def _site(city: str, country: str, lat: float, lon: float) -> Location:
    return Location(city=city, country=country, geo=GeoPoint(lat=lat, lon=lon))


def test_a_place_is_the_mean_of_its_distinct_points() -> None:
    one = polar().model_copy(
        update={
            "locations": [
                _site("Springfield", "United States", 37.2, -93.3),
                _site("Springfield", "United States", 37.2, -93.3),  # same point again
                _site("Springfield ", "United States", 39.8, -89.6),
                _site("Lyon", "France", 45.75, 4.85),
                Location(city="Nowhere", country="France"),  # no position: no place
            ]
        }
    )
    got = places([one])
    assert got == {"Lyon, France": (45.75, 4.85), "Springfield, United States": (38.5, -91.45)}


def test_hostile_text_is_json_data_that_cannot_close_the_script() -> None:
    hostile = hostile_trial()
    script = finder_script(Corpus([polar(), palmira(), hostile]))
    text = script.decode("utf-8")
    for raw in ("</script", "<!--", "\u2028", "\u2029", "{{", "{%"):
        assert raw not in text
    data = _decode(script)
    row = next(r for r in data["trials"] if r[0] == hostile.nct_id)
    assert row[1] == " ".join(hostile.title.split())
    strings = data["strings"]
    assert {strings[i] for i in row[6]} == {
        " ".join(c.split()) for c in hostile.conditions if c.strip()
    }


def test_each_repeated_string_is_stored_once() -> None:
    trials: list[Trial] = [
        polar().model_copy(update={"nct_id": f"NCT{90_000_000 + i:08d}"}) for i in range(50)
    ]
    data = finder_data(Corpus(trials))
    assert len(data["trials"]) == 50
    assert len(data["strings"]) == len(set(data["strings"]))
    first = data["trials"][0]
    assert all(r[6] == first[6] and r[12] == first[12] for r in data["trials"])
