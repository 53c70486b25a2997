"""Deterministic benchmark inputs: news-style reports, claims frames, places.

Everything here is a pure function of its ``seed``: reports come from a seeded
:class:`random.Random`, claim frames from a seeded :func:`numpy.random.default_rng`; nothing reads
the clock or Python's salted ``hash()``. The text is our own: sentence templates written for the
constructions the extractor handles (active and passive seizure, holding, recapture, withdrawal,
"the first/the second", attempts and negations, "on Sunday"/"yesterday"/"on June 9") plus
distractor sentences and page furniture (teaser headlines with time stamps, copyright lines,
comment prompts) of the kind the cleaner drops.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from geodata.gazetteer import Gazetteer
from geodata.store import FRAME_COLUMNS

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATELINES = ("BAGHDAD", "ERBIL", "BEIRUT", "AMMAN", "DAMASCUS", "GAZIANTEP", "KIRKUK", "MOSUL", "ISTANBUL")
AGENCIES = ("Frontier Wire", "Desert Dispatch", "Levant Newsdesk", "Tigris Press", "Borderline Agency")
WHO = ("a police officer said", "two border officials said", "residents said", "a local commander said",
       "an Interior Ministry spokesman said", "witnesses told reporters", "security sources said",
       "a tribal leader said by telephone", "the group said in an online statement", "officials said")
ORGS = ("The United Nations", "The Red Crescent", "The World Food Programme", "The refugee agency",
        "A coalition of aid groups", "The European Union")
ACTIVE_TAKE = ("seized", "captured", "took control of", "overran", "stormed", "took over")
RETAKE = ("recaptured", "retook", "regained control of", "took back", "liberated")
HOLD = ("hold", "control", "still hold", "remain in control of")
HOLD_3RD = ("holds", "controls", "still holds", "remains in control of")
PASSIVE_TAKE = ("was captured by", "was seized by", "was overrun by", "was taken by")
FELL = ("fell to", "came under the control of", "passed to")
WITHDRAW = ("withdrew from", "pulled out of", "abandoned", "retreated from")

# Distractors: sentences a report carries around its claims; some name places, parties or dates.
DISTRACTORS = (
    "Aid agencies said more than {n},000 people had crossed the border in recent days, many of them on foot.",
    "Trucks carrying flour and fuel were queuing near {place} {date}, drivers said.",
    "{org} called on all sides to protect civilians and to let relief convoys through.",
    "Prices of bread and cooking gas in the area have doubled since {month}, according to traders.",
    "{party} has published videos that purport to show its fighters moving through the desert.",
    "Temperatures in the valley topped 45 degrees Celsius {date}, slowing the movement of convoys.",
    "Diplomats met in {city} {date} to discuss the humanitarian situation along the frontier.",
    "The border was once a busy trade route, with hundreds of lorries passing through each day.",
    "It was not possible to verify the accounts independently.",
    "Residents described long queues at bakeries and petrol stations, and power cuts of up to twenty hours a day.",
    "Mobile phone coverage in the district has been patchy for weeks, making it hard to confirm casualty figures.",
    "The governor of {province} said schools would stay closed until further notice.",
    "Analysts say control of the frontier matters for smuggling as much as for the war itself.",
    "Farmers on both sides of the border said they had not been able to reach their fields since the spring.",
    "A spokesman for {org_lc} said the agency was preparing for a new wave of arrivals.",
    "The fighting has displaced tens of thousands of families over the past year.",
    "Officials in {city} said talks on reopening the road to commercial traffic would resume {date}.",
    "Journalists have been barred from the area, and the accounts could not be checked.",
)

# Claim templates: (template, needs). Slots: {A} holder, {B} second holder, {L} loser, {P}, {P1},
# {P2} places, {D} date phrase, {W} who-said, and verb slots.
CLAIM_TEMPLATES = (
    "{A} {take} {P} {D}, {W}.",
    "{A} {take} {P} {D} after {L} pulled back overnight.",
    "{P} {fell} {A} {D} following hours of clashes, {W}.",
    "{P} {passive} {A} {D}, according to {w_short}.",
    "{A} {hold_pl} {P}, {W}.",
    "{P} remains in the hands of {A}, {W}.",
    "{P} has been under {A} control since {D_since}.",
    "{A} {retake} {P} from {L} {D}.",
    "{P} was retaken by {A} {D} after a two-day offensive.",
    "{L} {withdraw} {P} {D}, leaving the post unmanned.",
    "After {L} withdrew from {P}, {A} took control of it.",
    "{P1} and {P2} have changed hands this month: {A} holds the first and {B} holds the second.",
    "{A} seized {P1} and {P2} {D}, {W}.",
    "{A} failed to take {P} {D}.",
    "{A} tried to storm {P} {D} but were pushed back by {B}.",
    "Officials denied that {A} had seized {P}.",
    "{A} did not capture {P}, contrary to reports on social media, {W}.",
    "{A} advanced towards {P} {D} but stopped short of the gates.",
    "{P} has not fallen to {A}, {W}.",
    "The {A}-held {P_bare} crossing was quiet {D}, {W}.",
)
TEASERS = (
    "Talks on grain exports stall again", "Central bank holds interest rates", "Storm closes ports in the Gulf",
    "Minister resigns over procurement row", "Football federation names new coach",
    "Oil output rises for a third month", "Court adjourns trial of former officials",
    "Desert locust swarms reach the coast", "Airline resumes flights to the capital",
)


def _ascii(names) -> list[str]:
    return [n for n in names if n and n.isascii()]


def _iso_weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


@dataclass(frozen=True)
class GeneratedReport:
    """One raw plain-text page: article with its page furniture, and what a batch line would say."""

    name: str
    text: str
    report_date: date
    source: str
    url: str

    def record(self) -> dict:
        """The JSON Lines batch record ``borderwatch extract`` reads."""
        return {"text": self.text, "report_date": self.report_date.isoformat(), "source": self.source,
                "url": self.url}


class ReportGenerator:
    """Builds realistic raw reports from a gazetteer; the same seed gives the same reports."""

    def __init__(self, gazetteer: Gazetteer, seed: int = 0, words: int = 300):
        self.rng = random.Random(seed)
        self.seed = seed
        self.words = words
        self.places = [p for _, p in sorted(gazetteer.places.items())]
        self.crossings = [p for p in self.places if p.kind == "crossing"]
        self.provinces = [p for p in self.places if p.kind == "province"]
        self.parties = [p for _, p in sorted(gazetteer.parties.items()) if p.kind not in ("other", "unknown")]
        generic = sorted(gazetteer.generic_terms.items())
        self.generic = [t for t, role in generic if role in ("armed-group", "state", "kurdish")
                        and not t.startswith("the ") and t.isascii()]
        self.countries = [c for _, c in sorted(gazetteer.countries.items())]
        self._place_names = {p.id: _ascii((p.name, *p.aliases, *p.side_names, *(a for s in p.side_aliases for a in s)))
                             for p in self.places}
        self._party_names = {p.id: _ascii(p.aliases) or [p.label] for p in self.parties}

    # -- names ---------------------------------------------------------------------------------
    def place_phrase(self, place) -> str:
        rng = self.rng
        name = rng.choice(self._place_names[place.id])
        lower = name.lower()
        if place.kind == "province":
            if "province" in lower or "governorate" in lower:
                return name
            return rng.choice((name, f"{name} province", f"the province of {name}", f"{name} governorate"))
        if any(word in lower for word in ("crossing", "post", "gate")):
            return name if lower.startswith("the ") else f"the {name}"
        return rng.choice((name, f"the {name} crossing", f"the {name} border crossing",
                           f"the {name} border post", f"the border post at {name}"))

    def party_phrase(self, party=None) -> str:
        rng = self.rng
        if party is None and rng.random() < 0.2:
            return rng.choice(self.generic)
        party = party or rng.choice(self.parties)
        return rng.choice(self._party_names[party.id])

    def date_phrase(self, report_date: date) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:
            back = rng.randint(1, 6)
            return f"on {_iso_weekday(report_date - timedelta(days=back))}"
        if roll < 0.45:
            return rng.choice(("yesterday", "late yesterday", "last night"))
        if roll < 0.65:
            day = report_date - timedelta(days=rng.randint(1, 25))
            return rng.choice((f"on {MONTHS[day.month - 1]} {day.day}", f"on {day.day} {MONTHS[day.month - 1]}"))
        if roll < 0.72:
            day = report_date - timedelta(days=rng.randint(1, 60))
            return f"on {MONTHS[day.month - 1]} {day.day}, {day.year}"
        if roll < 0.78:
            return rng.choice(("two days ago", "three days ago", "earlier this week", "last week"))
        if roll < 0.83:
            return rng.choice(("this morning", "today"))
        return ""

    # -- sentences -----------------------------------------------------------------------------
    def claim_sentence(self, report_date: date, focus: list) -> str:
        rng = self.rng
        template = rng.choice(CLAIM_TEMPLATES)
        a, b, loser = rng.sample(self.parties, 3)
        p1 = rng.choice(focus)
        p2 = rng.choice([p for p in focus if p is not p1] or self.crossings)
        since_day = report_date - timedelta(days=rng.randint(1, 40))
        slots = {
            "A": self.party_phrase(a), "B": self.party_phrase(b), "L": self.party_phrase(loser),
            "P": self.place_phrase(p1), "P1": self.place_phrase(p1), "P2": self.place_phrase(p2),
            "P_bare": rng.choice(self._place_names[p1.id]),
            "D": self.date_phrase(report_date), "W": rng.choice(WHO),
            "w_short": rng.choice(("local officials", "residents", "security sources", "a statement")),
            "D_since": rng.choice((_iso_weekday(since_day), f"{MONTHS[since_day.month - 1]} {since_day.day}")),
            "take": rng.choice(ACTIVE_TAKE), "retake": rng.choice(RETAKE), "hold_pl": rng.choice(HOLD),
            "hold": rng.choice(HOLD_3RD), "passive": rng.choice(PASSIVE_TAKE), "fell": rng.choice(FELL),
            "withdraw": rng.choice(WITHDRAW),
        }
        sentence = template.format(**slots)
        sentence = " ".join(sentence.split()).replace(" ,", ",").replace(" .", ".")
        return sentence[0].upper() + sentence[1:]

    def distractor(self, report_date: date, focus: list) -> str:
        rng = self.rng
        month_day = report_date - timedelta(days=rng.randint(30, 200))
        slots = {
            "n": rng.randint(2, 40), "place": self.place_phrase(rng.choice(focus)),
            "date": self.date_phrase(report_date), "org": rng.choice(ORGS),
            "org_lc": rng.choice(ORGS).replace("The ", "the ", 1), "month": MONTHS[month_day.month - 1],
            "party": self.party_phrase(), "city": rng.choice(("Geneva", "Amman", "Ankara", "Brussels", "Baghdad")),
            "province": rng.choice(self.provinces).name,
        }
        sentence = " ".join(rng.choice(DISTRACTORS).format(**slots).split()).replace(" ,", ",").replace(" .", ".")
        return sentence[0].upper() + sentence[1:]

    # -- reports -------------------------------------------------------------------------------
    def report(self, index: int) -> GeneratedReport:
        rng = self.rng
        report_date = date(2013, 1, 1) + timedelta(days=rng.randint(0, 365 * 6))
        focus = rng.sample(self.crossings, rng.randint(1, 3)) + (
            [rng.choice(self.provinces)] if rng.random() < 0.4 else [])
        agency = rng.choice(AGENCIES)
        target = int(self.words * rng.uniform(0.85, 1.15))
        lead = (f"{rng.choice(DATELINES)}, {MONTHS[report_date.month - 1]} {report_date.day}, {report_date.year} "
                f"({agency}) - {self.claim_sentence(report_date, focus)}")
        sentences, words = [lead], len(lead.split())
        while words < target:
            sentence = (self.claim_sentence(report_date, focus) if rng.random() < 0.35
                        else self.distractor(report_date, focus))
            sentences.append(sentence)
            words += len(sentence.split())
        # Paragraphs of one to three sentences, one per line (as pasted pages come).
        lines, cursor = [], 0
        while cursor < len(sentences):
            size = rng.choice((1, 1, 2, 3))
            lines.append(" ".join(sentences[cursor:cursor + size]))
            cursor += size
        page = []
        if rng.random() < 0.3:
            page.append(rng.choice(("Share this article", "Follow us on social media", "Advertisement")))
        if rng.random() < 0.5:
            page.append(f"{rng.choice(('Militants', 'Fighting', 'Clashes'))} near the border"
                        f" {rng.choice(('continue', 'intensify', 'ease'))}")
        page += lines
        if rng.random() < 0.5:
            page.append(f"Source: {agency}")
        page.append(rng.choice(("Related stories", "Latest news", "Most read")))
        for back in sorted(rng.sample(range(0, 5), 3)):
            stamp = report_date - timedelta(days=back)
            page.append(f"{rng.choice(TEASERS)}GMT {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} "
                        f"{stamp.year} {_iso_weekday(stamp)} ,{stamp.day} {MONTHS[stamp.month - 1]}")
        page.append(f"All rights reserved to {agency} {report_date.year} ©")
        page.append(rng.choice(("Send your comments", "Leave a comment")))
        slug = f"{self.seed}-{index:06d}"
        return GeneratedReport(name=f"bench-{slug}", text="\n".join(page), report_date=report_date,
                               source=agency, url=f"https://news.example/{report_date.year}/{slug}")

    def reports(self, count: int) -> list[GeneratedReport]:
        return [self.report(index) for index in range(count)]


def generate_reports(gazetteer: Gazetteer, count: int, seed: int = 0, words: int = 300) -> list[GeneratedReport]:
    """``count`` raw reports; the same arguments give the same texts."""
    return ReportGenerator(gazetteer, seed, words).reports(count)


def digest(texts) -> str:
    """SHA-256 over texts, to check a generator run is the same as another."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


# -- claims, without extraction ------------------------------------------------------------------
PARTY_IDS = ("isil", "iraq-gov", "krg", "pmf", "syria-gov", "syrian-opposition", "nusra", "sdf", "turkey",
             "jordan", "us-coalition", "israel")
CONSTRUCTIONS = ("active-take", "passive-fell", "active-hold", "passive-heldby", "under-control",
                 "active-retake", "adjective-held")
EVIDENCE = (
    "{place} fell to {party} on Sunday after hours of clashes, a border official said.",
    "{party} seized the {place} crossing yesterday, residents said.",
    "The {place} border post remains in the hands of {party}, officials said.",
    "{party} recaptured {place} on June 9 after a two-day offensive, the army said.",
    "{place} has been under {party} control since Tuesday.",
)


def synthetic_places(count: int, seed: int = 0) -> pd.DataFrame:
    """``count`` made-up places (ids ``bw-00000``...) spread over the Iraq-Syria region.

    Columns are those of the gazetteer's CSV plus ``kind``, so the frame can be written as a
    ``--gazetteer`` file for the dashboard.
    """
    rng = np.random.default_rng(seed + 1)
    kinds = np.where(np.arange(count) % 5 == 0, "province", "crossing")
    pairs = np.array(["IQ|SY", "IQ|TR", "SY|TR", "SY|LB", "SY|JO", "IQ|IR", "IQ|JO"])
    pair = pairs[rng.integers(0, len(pairs), count)]
    ids = [f"bw-{i:05d}" for i in range(count)]
    frame = pd.DataFrame({
        "id": ids,
        "name": [f"Bench Place {i}" for i in range(count)],
        "kind": kinds,
        "country_a": [p.split("|")[0] for p in pair],
        "country_b": [p.split("|")[1] for p in pair],
        "country": [p.split("|")[0] for p in pair],
        "lat": np.round(rng.uniform(30.0, 37.5, count), 5),
        "lon": np.round(rng.uniform(35.5, 46.5, count), 5),
        "source": "bench:synthetic",
    })
    return frame


def claims_frame(n_claims: int, n_places: int = 2000, seed: int = 0, claims_per_report: int = 4,
                 days: int = 5 * 365, distinct_strings: bool = True) -> pd.DataFrame:
    """A claims frame with the columns and dtypes of :meth:`ClaimStore.claims_frame`, made directly.

    Each place has a holder per quarter (so runs of the same holder exist, as in real data) with 15%
    of claims naming someone else; 7% are ``not-government``; 60% carry an event date up to four
    days before their report date. ``distinct_strings`` gives every row its own ``evidence``
    string object, as rows read from SQLite have (memory figures need that).
    """
    rng = np.random.default_rng(seed)
    n = n_claims
    places = synthetic_places(n_places, seed)
    place_index = rng.integers(0, n_places, n)
    n_reports = max(1, n // claims_per_report)
    report_index = np.sort(rng.integers(0, n_reports, n))
    report_day = rng.integers(0, days, n_reports)[report_index]
    base = np.datetime64("2013-01-01")
    report_dates = base + report_day.astype("timedelta64[D]")
    has_event = rng.random(n) < 0.6
    event_dates = report_dates - rng.integers(0, 5, n).astype("timedelta64[D]")
    quarter_holder = (place_index * 7 + report_day // 90) % len(PARTY_IDS)
    noise = rng.random(n) < 0.15
    party_index = np.where(noise, rng.integers(0, len(PARTY_IDS), n), quarter_holder)
    parties = np.array(PARTY_IDS, dtype=object)[party_index]
    notgov = rng.random(n) < 0.07
    parties = np.where(notgov, "unknown", parties)
    status = np.where(notgov, "not-government", "controls")
    labels = {p: p.replace("-", " ").title() for p in PARTY_IDS} | {"unknown": "Not under government control"}
    report_ids = np.array([hashlib.sha256(f"{seed}-{r}".encode()).hexdigest() for r in range(n_reports)],
                          dtype=object)[report_index]
    place_ids = places["id"].to_numpy(dtype=object)[place_index]
    place_names = places["name"].to_numpy(dtype=object)[place_index]
    templates = np.array(EVIDENCE, dtype=object)[rng.integers(0, len(EVIDENCE), n)]
    if distinct_strings:
        evidence = [t.format(place=pn, party=p) for t, pn, p in zip(templates, place_names, parties)]
    else:
        evidence = templates
    report_py = np.array(pd.Series(report_dates).dt.date.to_numpy(dtype=object), dtype=object)
    event_py = np.array(pd.Series(event_dates).dt.date.to_numpy(dtype=object), dtype=object)
    event_py[~has_event] = None
    frame = pd.DataFrame({
        "claim_key": [f"{k:020x}" for k in rng.integers(0, 2**62, n)],
        "report_id": report_ids,
        "place_id": place_ids,
        "side": None,
        "party": parties,
        "status": status.astype(object),
        "event_date": event_py,
        "event_precision": np.where(has_event, "day", None).astype(object),
        "evidence": evidence,
        "span_start": rng.integers(0, 1500, n),
        "confidence": np.array([0.9, 0.85, 0.75, 0.7, 0.55], dtype=float)[rng.integers(0, 5, n)],
        "extractor_version": "0.1.0",
        "rule": np.array(CONSTRUCTIONS, dtype=object)[rng.integers(0, len(CONSTRUCTIONS), n)],
        "report_date": report_py,
        "source": np.array(AGENCIES, dtype=object)[report_index % len(AGENCIES)],
        "url": [f"https://news.example/r/{r}" for r in report_index],
        "superseded_by": None,
        "place_name": place_names,
        "kind": places["kind"].to_numpy(dtype=object)[place_index],
        "lat": places["lat"].to_numpy()[place_index],
        "lon": places["lon"].to_numpy()[place_index],
        "countries": "",
        "side_names": "",
        "party_label": pd.Series(parties).map(labels).to_numpy(dtype=object),
        "party_countries": "",
    })
    frame["span_end"] = frame["span_start"] + 120
    return frame[FRAME_COLUMNS]
