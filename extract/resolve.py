"""Document-level resolution: a frame's slots to the report's places and parties (pure).

One :class:`ReportContext` per report holds what every sentence may need from the others: the
places and parties it names, in order, and the events already read. A slot becomes places through
the names inside it, or through a *description* ("a border crossing with Jordan", "the town",
"it") that the report's named places or the gazetteer satisfy with exactly one answer. A slot
becomes parties through the names inside it, or through a generic term ("insurgents", "the army",
"Kurdish fighters") that the report's named parties, the place's country or its side decide.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from extract.frames import Slot
from extract.mentions import SENTENCE_OPENERS, Mention
from geodata.gazetteer import Gazetteer, Place

# The head nouns of a description of a crossing or border town.
DESCRIPTION = re.compile(
    r"\b(?P<head>border\s+crossings?|crossings?(?:\s+points?)?|border\s+posts?|posts?|border\s+points?|border\s+gates?|gates?"
    r"|checkpoints?|frontier\s+(?:posts?|gates?|points?)|terminal|portal|complex|border\s+towns?|frontier\s+towns?|towns?"
    r"|border\s+areas?|border|provinces?|governorates?|side|bank)\b")
_PROVINCE_HEADS = ("province", "governorate")
_DEFINITE = re.compile(r"^\s*(?:the|this|that|its|their)\b")
_INDEFINITE = re.compile(
    r"^\s*(?:an?|one|another|the\s+(?:only|last|sole|third|second|first|main|key|strategic|vital)\b)")
_PLURAL_WINDOW = 400  # characters before "the crossings" in which the crossings it means were named
_PLURAL_DEFINITE = re.compile(r"^\s*(?:the|these|those|both|all)\b")
_SIDE_PHRASE = re.compile(r"\b(?P<adj>\w+)\s+(?:side|bank)\b")
_ORDINALS = {"first": 0, "former": 0, "second": 1, "third": 2, "latter": -1}
_LIST_GAP = re.compile(r"(?:\s|,|\band\b|\bor\b|\bborder\b|\bcrossings?\b)*")
_PRONOUNS = {"it", "which", "that", "this"}
# A side named to say which crossing is meant, the one across from it: "the crossing opposite Akçakale"
_OPPOSITE = re.compile(r"(?:\b(?:opposite|facing|across\s+from)|\b(?:crossing|post|gate)\s+with)"
                       r"\s+(?:[\w'-]+\s+){0,4}$")
# A place named only as a yardstick or as one of a group, which "the crossing" does not refer back
# to: "less important than the crossings at A and B", "the second busiest after A"
_YARDSTICK = re.compile(r"(?:\bthan\b[^.;]{0,60}|\b(?:crossings|posts|gates)\s+(?:at|of|in|such\s+as|like|including)\b"
                        r"[^.;]{0,40}|\b(?:busiest|largest|biggest|most\s+important)\b[^.;]{0,60}\bafter\s+(?:the\s+)?)$")
_PARTY_PRONOUNS = {"its", "their", "they"}
_PRONOUN_WINDOW = 400  # characters back to the party a pronoun stands for
_CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# A country's forces, and the organs that speak for them ("the Turkish Defence Ministry")
_FORCES = re.compile(r"\b(?:forces|troops|army|armed\s+forces|soldiers|military|units|police|guards|fighters|brigades"
                     r"|(?:defen[cs]e\s+)?ministry|operations\s+command|command|government)\b")
# What parties are called when the text only says what kind of party they are, by the role in
# geodata/data/generic_terms.csv.
# "rebels backed by Ankara" are Turkish-backed forces; "backed by Turkish artillery" is support, not identity
_TURKISH_BACKER = re.compile(r"\b(?:backed|supported|armed|trained)\s+by\s+(?:turkey|ankara)\b")
_NOT_REBELS = {"isil", "sdf"}  # what reports call jihadists and Kurdish forces, never "the rebels"
# "militants", "Islamists": the jihadist group a report names, not the mainstream rebels or the
# Kurdish forces, unless the report names no other
_NOT_MILITANTS = {"syrian-opposition", "sdf"}
_ARMED = {"armed-group", "rebel", "militant"}  # "militants", "jihadists": not the rebels when a report names both


@dataclass
class Resolved:
    """A place a slot names, on which side, and whether the text named it or described it."""

    place: Place
    side: str | None
    described: bool
    antecedent: int | None = None  # where the place was named, when described
    span: tuple[int, int] | None = None  # where the slot names it


@dataclass
class ReportContext:
    """Everything about one report that its sentences share."""

    gazetteer: Gazetteer
    text: str
    folded: str
    mentions: list[Mention]
    adjectives: dict[str, str]  # folded country adjective or name -> ISO code
    named_places: list[tuple[int, Place, str | None]] = field(default_factory=list)  # (offset, place, side)
    referents: list[tuple[int, Place, str | None]] = field(default_factory=list)  # those "the crossing" may mean
    named_parties: list[tuple[int, str]] = field(default_factory=list)  # (offset, party id)
    events: list[tuple[int, list[str]]] = field(default_factory=list)  # (offset, holder ids) of asserted takes
    holders: dict[tuple, list[tuple[str, str]]] = field(default_factory=dict)  # (place id, side) -> (party, how) so far
    resolved: list[tuple[int, Resolved]] = field(default_factory=list)  # (slot offset, place) of this report's events
    topic: tuple[int, int, tuple[Resolved, ...]] | None = None  # a roundup line: (start, end, its places)
    sentence: tuple[int, int] = (0, 0)  # the sentence being read
    dateline_end: int = 0  # "GAZIANTEP, Turkey, April 8 -": where the place of filing ends

    def __post_init__(self):
        for m in self.mentions:
            if m.kind == "place" and len({t[0] for t in m.targets}) == 1:
                place_id, side = m.targets[0]
                self.named_places.append((m.start, self.gazetteer.places[place_id], side))
                if not _YARDSTICK.search(self.folded, max(0, m.start - 80), m.start):
                    self.referents.append(self.named_places[-1])
            elif m.kind == "party":
                self.named_parties.append((m.start, m.targets[0]))
        self._starts = [m.start for m in self.mentions]

    # -- mentions inside a slot ----------------------------------------------------------------
    def mentions_in(self, slot: Slot, kinds: tuple[str, ...]) -> list[Mention]:
        """Mentions of these kinds lying on the slot's own tokens."""
        start, end = slot.phrase
        first = bisect_left(self._starts, start)
        found = []
        for m in self.mentions[first:bisect_left(self._starts, end, lo=first)]:
            if m.kind in kinds and m.end <= end and any(a < m.end and m.start < b for a, b in slot.parts):
                found.append(m)
        return found

    def countries_in(self, start: int, end: int) -> list[str]:
        """Countries a phrase names ("with Jordan", "Iraq-Syria", "Turkish"), in order, once each."""
        return list(dict.fromkeys(m.targets[0] for m in self._mentions_between(start, end) if m.kind == "country"))

    def _mentions_between(self, start: int, end: int) -> list[Mention]:
        """The report's mentions starting in [start, end)."""
        return self.mentions[bisect_left(self._starts, start):bisect_left(self._starts, end)]

    # -- places --------------------------------------------------------------------------------
    def places(self, slot: Slot, side_of) -> list[Resolved]:
        """The places a patient slot names or describes."""
        named = [m for m in self.mentions_in(slot, ("place",)) if len({t[0] for t in m.targets}) == 1]
        if named:
            out = []
            for m in named:
                place_id, side = m.targets[0]
                place = self.gazetteer.places[place_id]
                side = side or side_of(m.start)
                if side and _OPPOSITE.search(self.folded, max(0, m.start - 40), m.start):
                    side = next((c for c in place.countries if c != side), side)  # "the crossing with Nusaybin"
                out.append(Resolved(place, side, False, span=(m.start, m.end)))
            return out
        if slot.naming and (slot.lemma in _ORDINALS or DESCRIPTION.search(self.folded, *slot.phrase)):
            # "the third, the al-Qaim crossing", "the crossing at al-Yaroubia": the name says which
            named = [m for a, b in slot.naming for m in self._mentions_between(a, b)
                     if m.kind == "place" and len({t[0] for t in m.targets}) == 1]
            if named:
                # "three governorates - Erbil, Sulaymaniyah and Dohuk": a plural head names them all
                plural = self.folded[slot.head[1] - 1] == "s" and slot.lemma != self.folded[slot.head[0]:slot.head[1]]
                listed = named[:1]
                while plural and len(listed) < len(named) and _LIST_GAP.fullmatch(
                        self.folded, listed[-1].end, named[len(listed)].start):
                    listed.append(named[len(listed)])
                return [Resolved(self.gazetteer.places[m.targets[0][0]], m.targets[0][1] or side_of(m.start), False,
                                 span=(m.start, m.end)) for m in listed]
        phrase = self.folded[slot.phrase[0]:slot.phrase[1]]
        if self._names_unknown_place(slot):
            return []  # "the Trebil crossing" with Trebil not in the gazetteer: not some other crossing
        if slot.lemma in _ORDINALS and re.match(r"\s*the\b", phrase):
            return self._in_list(slot.head[0], _ORDINALS[slot.lemma])
        if slot.relative or slot.lemma in _PRONOUNS:
            # "The crossing was under government control until March, when rebels captured it": a
            # place this sentence already named or described comes before one named earlier
            here = [r for o, r in self.resolved if self.sentence[0] <= o < slot.head[0]]
            if here and not slot.relative:
                return [Resolved(here[-1].place, here[-1].side, True, here[-1].antecedent)]
            return self._recent(slot.head[0], kinds=("crossing", "province"))
        description = DESCRIPTION.search(phrase)
        if description is None:
            return []
        side = None
        side_match = _SIDE_PHRASE.search(phrase)
        if side_match and side_match.group("adj") in self.adjectives:
            side = self.adjectives[side_match.group("adj")]
        countries = self.countries_in(*slot.wide)
        if _PLURAL_DEFINITE.match(phrase) and description.group("head").endswith("s"):
            # "the Syrian side of the border crossings", "both posts": the crossings just listed
            recent = {p.id: (o, p, own_side) for o, p, own_side in self.named_places
                      if slot.head[0] - _PLURAL_WINDOW <= o < slot.head[0] and p.kind == "crossing"}
            if len(recent) < 2:
                return []
            return [Resolved(place, side or own_side, True, start) for start, place, own_side in recent.values()
                    if all(c in place.countries for c in countries) and (side is None or side in place.countries)]
        if description.group("head").endswith("s") and not description.group("head").endswith("ss"):
            return []  # "a string of towns", "border crossings with Turkey": no one place
        if description.group("head").startswith(_PROVINCE_HEADS):
            # "have since held the province": the province named last; "a province" is none
            return self._recent(slot.head[0], kinds=("province",)) if _DEFINITE.match(phrase) else []
        if _INDEFINITE.match(phrase) or (countries and not _DEFINITE.match(phrase)):
            found = self._described(slot.phrase[0], countries)
        else:
            found = self._recent(slot.head[0], kinds=("crossing",), countries=countries)
        for r in found:
            r.side = side if side in r.place.countries else r.side
        return found

    def _in_list(self, offset: int, position: int) -> list[Resolved]:
        """"the first", "the latter": a place of the last list of two or more named before."""
        last = self._last_list(offset)
        if not -len(last) <= position < len(last):  # "the latter" with no list before it
            return []
        start, _, place, side = last[position]
        return [Resolved(place, side, True, start)]

    def _last_list(self, offset: int) -> list[tuple[int, int, Place, str | None]]:
        """The last run of two or more places named one after the other ("A, B and C") before offset."""
        lists: list[list[tuple[int, int, Place, str | None]]] = []
        previous_end = None
        for m in self.mentions:
            if m.start >= offset:
                break
            if m.kind != "place" or len({t[0] for t in m.targets}) != 1:
                continue
            entry = (m.start, m.end, self.gazetteer.places[m.targets[0][0]], m.targets[0][1])
            if previous_end is not None and _LIST_GAP.fullmatch(self.folded[previous_end:m.start]):
                lists[-1].append(entry)
            else:
                lists.append([entry])
            previous_end = m.end
        lists = [x for x in lists if len(x) >= 2]
        return lists[-1] if lists else []

    def _names_unknown_place(self, slot: Slot) -> bool:
        """Whether the phrase carries a capitalised name that is neither a known place nor a country."""
        for index, (a, b) in enumerate(slot.parts):
            word = self.text[a:b]
            if not word[:1].isupper() or word in SENTENCE_OPENERS or self.folded[a:b] in _CALENDAR:
                continue
            if self.folded[a:b] in self.adjectives:
                continue
            return True
        return False

    def _recent(self, offset: int, kinds: tuple[str, ...], countries: list[str] = ()) -> list[Resolved]:
        """"the crossing", "it": the last fitting place named before, else the first named after."""
        fitting = [(o, p, s) for o, p, s in self.referents
                   if p.kind in kinds and all(c in p.countries for c in countries)]
        before = [x for x in fitting if x[0] < offset]
        chosen = before[-1] if before else (fitting[0] if fitting else None)
        if chosen is None and self.topic and self.topic[0] <= offset < self.topic[1]:
            return [self.topic[2][0]]
        if chosen is None:
            return []
        return [Resolved(chosen[1], chosen[2], True, chosen[0])]

    def _described(self, offset: int, countries: list[str]) -> list[Resolved]:
        """"a border crossing with Jordan": the one place the report names that fits, else the gazetteer's only one."""
        fitting = {p.id: (o, p) for o, p, _ in self.named_places
                   if p.kind == "crossing" and all(c in p.countries for c in countries)}
        if len(fitting) == 1:
            o, p = next(iter(fitting.values()))
            return [Resolved(p, None, True, o)]
        if not fitting and len(countries) >= 2:
            between = self.gazetteer.crossings_between(countries[0], countries[1])
            if len(between) == 1:
                return [Resolved(between[0], None, True, None)]
        if not fitting and len(countries) == 1:
            # "a border crossing with Israel": the gazetteer's only crossing on that country's borders
            on_border = self.gazetteer.crossings_of(countries[0])
            if len(on_border) == 1:
                return [Resolved(on_border[0], None, True, None)]
        return []

    # -- parties -------------------------------------------------------------------------------
    def parties(self, slot: Slot, place: Place, side: str | None,
                roles: dict[int, tuple[str, str]]) -> list[tuple[str, str]]:
        """(party id, how) for an agent slot at a place: named parties win, generic terms are resolved."""
        found = self.mentions_in(slot, ("party", "generic"))
        named = [m for m in found if m.kind == "party" and not _backer(self.folded, m)]
        head_named = [m for m in named if m.start <= slot.head[0]]
        if named:
            chosen = head_named or named
            return [(m.targets[0], "party") for m in _coordinated(chosen, self.folded)]
        generic = [m for m in found if m.kind == "generic"]
        if not found and slot.lemma in ("latter", "former"):
            # "fighting between IS and Kurdish fighters before the latter ..."
            return self._ordinal_party(slot, place, side, roles)
        if not generic and slot.lemma in _PARTY_PRONOUNS:
            # "ISIS still controls a third of the province. Its last position is P", "Syrian soldiers
            # are celebrating. They captured P a day earlier": the party named last
            return self._pronoun_party(slot, place, side, roles)
        if not generic:
            # "the Iraqi Armed Forces", "Syrian troops": a country's forces are its government's
            head_np = self.folded[slot.phrase[0]:slot.head[1]]
            countries = self.countries_in(slot.phrase[0], slot.head[1])
            # ... and "Turkey holds Tell Abyad": a country that opens a clause and acts is its
            # government (not one named inside a misread phrase: "a caliphate straddling Iraq and Syria")
            named_itself = any(m.kind == "country" and m.start == slot.phrase[0] and slot.head[1] <= m.end
                               for m in self._mentions_between(slot.phrase[0], slot.head[1])) and (
                re.search(r"(?:^|[,;:])\s*$", self.folded[self.sentence[0]:slot.phrase[0]]) is not None)
            if countries and (_FORCES.search(head_np) or named_itself):
                info = self.gazetteer.countries.get(countries[0])
                if info and info.government_party:
                    return [(info.government_party, "generic")]
            return []
        kind, role = roles.get(generic[0].start, ("role", generic[0].targets[0]))
        if kind == "party":
            return [(role, "party")]
        if role.removeprefix("adj-") in _ARMED and _TURKISH_BACKER.search(self.folded, *slot.phrase) \
                and "turkey" in self.gazetteer.parties:
            return [("turkey", "generic")]  # "rebel factions backed by Ankara" are Turkish-backed forces
        if side is None:
            # "Kurdish fighters in Syria", "Syrian Kurdish forces": the agent says which side it is on
            start = max(slot.phrase[0], self.dateline_end)
            said = self.countries_in(start, slot.head[1])  # before the head: "Syrian Kurdish fighters"
            if not said and self.folded.startswith(" in ", slot.head[1]):
                said = self.countries_in(slot.head[1], slot.head[1] + 24)  # "fighters in Syria"
            said = [c for c in said if c in place.countries]
            side = said[0] if len(said) == 1 else None
        party = self.generic_party(role, generic[0].start, place, side)
        return [(party, "generic")] if party else [("unknown", "unknown")]

    def _ordinal_party(self, slot: Slot, place: Place, side: str | None, roles) -> list[tuple[str, str]]:
        """"the latter" / "the former": one of the last two parties named together ("A and B")."""
        start = slot.phrase[0]
        near = self._parties_before(start)
        if len(near) < 2 or not re.fullmatch(r"\s*(?:,|and|or)\s*", self.folded[near[-2].end:near[-1].start]):
            return []
        chosen = near[-1] if slot.lemma == "latter" else near[-2]
        return self._party_of(chosen, place, side, roles)

    def _pronoun_party(self, slot: Slot, place: Place, side: str | None, roles) -> list[tuple[str, str]]:
        """The party, or kind of party ("government soldiers"), named last before a pronoun."""
        start = slot.phrase[0]
        near = self._parties_before(start)
        if not near:
            return []
        return self._party_of(near[-1], place, side, roles)

    def _parties_before(self, start: int) -> list[Mention]:
        """Parties, and kinds of party ("government soldiers"), named shortly before an offset."""
        return [m for m in self._mentions_between(start - _PRONOUN_WINDOW, start) if m.names_holder]

    def _party_of(self, mention: Mention, place: Place, side: str | None, roles) -> list[tuple[str, str]]:
        """(party, how) a party mention names, or a generic one stands for at this place."""
        if mention.kind == "party":
            return [(mention.targets[0], "party")]
        kind, role = roles.get(mention.start, ("role", mention.targets[0]))
        party = role if kind == "party" else self.generic_party(role, mention.start, place, side)
        return [(party, "generic")] if party else []

    def recent_holders(self, offset: int, window: int = 600) -> list[tuple[str, str]]:
        """Who took something in the last few sentences: the agent of "the capture of P" with no "by"."""
        recent = [holders for o, holders in self.events if offset - window <= o < offset]
        return recent[-1] if recent else []

    def generic_party(self, role: str, offset: int, place: Place, side: str | None) -> str | None:
        """Who "militants", "the army", "Kurdish fighters" are at this place in this report."""
        role = role.removeprefix("adj-")
        country = side or place.countries[0]
        if role == "state":
            info = self.gazetteer.countries.get(country)
            return info.government_party if info else None
        if role == "kurdish":
            info = self.gazetteer.countries.get(country)
            return (info.kurdish_party or None) if info else None
        if role in _ARMED:
            groups = [(o, p) for o, p in self.named_parties
                      if self.gazetteer.parties[p].kind in ("armed-group", "other")]
            if role == "rebel" and "SY" in place.countries:  # rebels at a Syrian crossing are Syria's, whichever side
                rebels = [(o, p) for o, p in groups if p not in _NOT_REBELS]
                if not rebels or all(p == "isil" for _, p in groups):
                    return "syrian-opposition" if "syrian-opposition" in self.gazetteer.parties else None
                groups = rebels
            if role == "militant" and any(p not in _NOT_MILITANTS for _, p in groups):
                groups = [(o, p) for o, p in groups if p not in _NOT_MILITANTS]
            before = [p for o, p in groups if o < offset]
            if before:
                return before[-1]
            if groups:
                return groups[0][1]
        return None


def _backer(folded: str, mention: Mention) -> bool:
    """"US-backed Kurdish fighters", "rebels backed by X": the backer is not the one who holds."""
    # ("rebels trained by the coalition" are the rebels: a participle followed by "by" is their own)
    return re.match(r"\s*(?:-|\s)?\s*(?:backed|supported|sponsored|funded|armed|trained)\b(?!\s+by\b)",
                    folded[mention.end:mention.end + 18]) is not None or re.search(
        r"\b(?:backed|supported|sponsored|funded|armed|trained|joined)\s+by\s+(?:the\s+)?$",
        folded[max(0, mention.start - 30):mention.start]) is not None


def _coordinated(mentions: list[Mention], folded: str) -> list[Mention]:
    """The first party named and those joined to it by "and" / "," / "along with" (joint holders)."""
    out = [mentions[0]]
    for m in mentions[1:]:
        gap = folded[out[-1].end:m.start]
        if re.fullmatch(r"[\s,]*(?:and|as\s+well\s+as|along\s+with|together\s+with|with|alongside)?"
                        r"(?:\s+(?:the|its|their|allied|fighters|militants|forces|from|of))*\s*", gap):
            out.append(m)
        else:
            break
    return out
