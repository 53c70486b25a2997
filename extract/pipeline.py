"""Compose the extraction steps: cleaned report text -> mentions -> attributions -> dated, sourced claims."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache, partial

from extract import control, frames
from extract.dates import find_dates
from extract.mentions import Mention, MentionMatcher
from extract.parser import load_parser, parse_sentences
from extract.resolve import DESCRIPTION, ReportContext, Resolved
from extract.sentences import split_sentences
from geodata.claims import Claim
from geodata.gazetteer import Gazetteer, Place
from geodata.names import fold

EXTRACTOR_VERSION = "0.3.0"  # recorded in every claim and export; bump when rules change what is extracted

_BASE_CONFIDENCE = {"party": 0.9, "generic": 0.75, "unknown": 0.55}
_PRECISION_PENALTY = {"month": 0.05, "year": 0.1}  # an event date known only to its month or year
_DISAMBIGUATE_AFTER = re.compile(r"^\s*(?:border\s+)?(?P<word>crossing|post|checkpoint|gate|province|governorate)")
# Between a place and the "which" that refers to it: "Rabia, which", "the Rabia border crossing, which".
_RELATIVE_GAP = re.compile(
    r"(?:\s|,|\b(?:border|crossing|crossings|post|point|checkpoint|gate|terminal|town|city|province|governorate|itself)\b)*$")
_DATE_RANK = {"iso": 0, "numeric": 0, "dmy": 0, "mdy": 0, "dm": 0, "md": 0, "weekday": 1, "yesterday": 1, "today": 1,
              "ago": 1, "later": 1, "month": 2, "baremonth": 2, "year": 3}


def report_id_of(text: str) -> str:
    """Content hash of a report's cleaned text: the identity the store deduplicates on."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Report:
    """One report being read: its text, folded text, provenance and mentions."""

    text: str
    folded: str
    report_date: date | None
    source: str
    url: str
    report_id: str
    mentions: list[Mention]


@dataclass(frozen=True)
class _AtOffset:
    """A span standing in for a mention where only offsets are known."""

    start: int
    end: int


_SEGMENT_END = re.compile(r"[;.(]|,\s|\s(?:but|although|though|and\s+(?:closed|shut))\b")
_HOLDER_LEAD = re.compile(r"\s*(?:(?:the|held\s+by|controlled\s+by|run\s+by|in\s+the\s+hands\s+of|still|now|mostly"
                          r"|both|in"
                          r"|(?P<taken>(?:overrun|taken(?:\s+over)?|seized|captured|retaken|recaptured|liberated|cleared)\s+by))\s+)*")
# "cleared the highway from Baghdad to Amman": the ends of a route are not what was taken or held
_ROUTE_BEFORE = re.compile(r"\b(?:highway|road|route|motorway|railway|pipeline)s?\s+(?:linking|between|from|to)"
                           r"\s+(?:[\w'-]+\s+){0,4}?(?:(?:and|to)\s+)?$")
# "the Baghdad–Amman highway": a route's name
_ROUTE_AFTER = re.compile(r"(?:\s*[-–—/]\s*[\w'-]+)?\s+(?:highway|road|route|motorway|railway|pipeline)\b")
_SINCE_OR_TAKEN = re.compile(r"\b(?:since|seized|taken|captured|retaken|recaptured|fell)\s+(?:on\s+|in\s+)?$")
_ROUNDUP_FRAME = frames.Frame("roundup-line", "hold", "any", (), (), (), True)
_ROUNDUP_SENTENCE = re.compile(r"[ \t]*(?:[-*\u2022\u2013]\s*)?(?P<name>[^:\n.]{2,60}):")
# a name, not a sentence, before the colon
_ROUNDUP_LINE = re.compile(r"(?m)^[ \t]*(?:[-*\u2022\u2013]\s*)?(?P<name>(?:[^:\n.!?]|\.(?=\S)){2,60}):[^\n]*")


@dataclass
class _Resolved:
    place: Place
    side: str | None
    via_reference: bool
    antecedent_start: int | None = None


# "GAZIANTEP, Turkey, April 8 -", "AMMAN, Jordan--A group", "BEIRUT—The group"
# (Turkish capitals beyond Latin-1 included: "KARKAMIŞ, Turkey, Aug 25 -", "AKÇAKALE")
_DATELINE = re.compile(r"\s*(?:[A-ZÀ-ÞŞĞİ][A-Za-zÀ-ÿŞşĞğİı .'’-]{1,40},[^.\n]{0,60}?\s[-–—]{1,2}\s"
                       r"|[A-ZÀ-ÞŞĞİ][A-ZÀ-ÞŞĞİ .'’-]{1,40}\s\([^()\n]{1,60}\)\s*[-–—]{1,2}\s"  # "KOBANÊ (Roj Media) -"
                       r"|[A-Z]{3}[A-Z .'’-]{0,37},\s+"
                       r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
                       r"(?:,\s+\d{4})?\s"  # "AMMAN, June 23 Sunni tribesmen ..." (a feed that dropped the dash)
                       r"|[A-Z][A-Z .'’-]{1,40}(?:,[^.\n]{0,60}?)?(?:--|—))")
_TIMELINE_DASH = re.compile(r"\s*[–—:-]\s")  # after the date that opens a timeline's line
_TAKING = ("take", "expel", "nominal", "declare")  # frame classes whose agent becomes the holder


class Extractor:
    """Built once per gazetteer (matchers compiled here); :meth:`extract` is then pure and linear."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.matcher = MentionMatcher(gazetteer)
        self._adjectives = {}
        for country in gazetteer.countries.values():
            for alias in country.aliases:
                self._adjectives[fold(alias)] = country.iso2

    # -- public ------------------------------------------------------------------------------
    def extract(self, text: str, report_date: date | None, source: str = "", url: str = "",
                report_id: str | None = None) -> list[Claim]:
        """Claims stated by one cleaned report text, in text order."""
        if report_date is not None and not isinstance(report_date, date):
            raise TypeError(f"report_date must be a datetime.date or None, not {report_date!r}")
        folded = fold(text)
        report = _Report(text, folded, report_date, source, url, report_id or report_id_of(text),
                         self.matcher.find(text, folded))
        parser = load_parser()
        if parser is None:
            return self._rule_claims(report)
        parsed, covered = self._frame_claims(report, parser)
        # Where the parse found nothing in a sentence (a misparsed coordination, a fragment), the
        # word-order rules may still read it: their claims for those sentences only. (Sentences, not
        # evidence spans: a described place's evidence reaches back to the sentence naming it.)
        fallback = [c for c in self._rule_claims(report)
                    if not any(a <= c.span[0] < b or c.span[0] <= a < c.span[1] for a, b in covered)]
        return _merge(parsed + fallback)

    def parse_share(self, text: str) -> tuple[int, int]:
        """(sentences the parse path reads, all sentences) of one cleaned report."""
        folded = fold(text)
        _, candidates, sentences = self._candidates(text, folded, self.matcher.find(text, folded))
        return len(candidates), len(sentences)

    def _candidates(self, text: str, folded: str, mentions: list[Mention]):
        """(roundup lines, sentences worth parsing, all sentences) of one report."""
        sentences = split_sentences(text)
        topics = self._topics(text, mentions, sentences)
        place_starts = [m.start for m in mentions if m.kind == "place"]
        worth = [(s, e) for s, e in sentences if self._worth_parsing(folded, place_starts, topics, s, e)]
        return topics, worth, sentences

    # -- the parse path ----------------------------------------------------------------------
    def _frame_claims(self, report: _Report, parser) -> tuple[list[Claim], list[tuple[int, int]]]:
        """Frames over the dependency parse of every sentence that names or describes a place; the
        claims, and the sentences (and roundup lines) they came from."""
        text, folded, mentions = report.text, report.folded, report.mentions
        context = ReportContext(self.gazetteer, text, folded, mentions, self._adjectives)
        topics, candidates, _ = self._candidates(text, folded, mentions)
        claims: list[Claim] = [claim for topic in topics for claim in self._roundup_claims(topic, context, report)]
        covered = [c.span for c in claims]
        dateline = _DATELINE.match(text)  # "GAZIANTEP, Turkey, April 8 -": when it was filed, not what happened
        dateline_end = context.dateline_end = dateline.end() if dateline else 0
        # The dateline is not part of the first sentence's grammar: the parse starts after it
        candidates = [(max(s, dateline_end), e) for s, e in candidates if e > dateline_end]
        for (s_start, s_end), doc in zip(candidates, parse_sentences(parser, (text[s:e] for s, e in candidates))):
            context.topic = next((t for t in topics if t[0] <= s_start < t[1]), None)
            context.sentence = (s_start, s_end)
            dates = [d for d in find_dates(folded, report.report_date, s_start, s_end)
                     if d.value is not None and d.start >= dateline_end]
            roles = self._roles(folded, mentions, s_start, s_end)
            found = len(claims)
            for event in frames.events(doc, s_start):
                if event.why_not in ("attempt", "infinitive") and event.expelled:
                    claims.extend(self._event_claims(_still_held(event), context, roles, [], report, (s_start, s_end)))
                    continue
                if not event.asserted and not _dated_earlier_holding(event, dates):
                    continue
                claims.extend(self._event_claims(event, context, roles, dates, report, (s_start, s_end)))
            if len(claims) > found:
                covered.append((s_start, s_end))
        return _merge(claims), covered

    def _event_claims(self, event, context: ReportContext, roles, dates, report: _Report, sentence) -> list[Claim]:
        side_of = partial(control.side_before, report.folded, adjectives=self._adjectives)
        places = [r for patient in event.patients for r in context.places(patient, side_of)
                  if r.span is None or not self._city_not_province(((r.place.id, r.side),), report.folded,
                                                                  _AtOffset(*r.span))]
        context.resolved.extend((patient.head[0], r) for patient in event.patients[:1] for r in places[:1])
        if context.topic and (not places or all(r.place.kind == "province" for r in places)
                              and context.topic[2][0].place.kind == "crossing"):
            places = [context.topic[2][0]]  # a roundup line speaks of its own place
        if not places:
            return []
        event_date, precision = _frame_date(event, dates, report, sentence[0])
        out = []
        holders_seen: list[tuple[str, str]] = []
        respectively = len(event.agents) == len(places) > 1 and "respectively" in report.folded[sentence[0]:sentence[1]]
        for index, resolved in enumerate(places):
            agents = [event.agents[index]] if respectively else event.agents  # "A and B hold P and Q respectively"
            holders = [h for agent in agents
                       for h in context.parties(agent, resolved.place, resolved.side, roles)]
            if not holders and not event.agents and (event.frame.klass == "nominal" or (
                    event.frame.klass in ("take", "expel") and event.frame.voice == "passive")):
                # "the capture of P", "P was taken on Sunday": by whoever the report already said
                # holds P, else whoever it last saw taking something
                holders = (context.holders.get((resolved.place.id, resolved.side))
                           or self._claimant_parties(event, context, resolved, roles)
                           or context.recent_holders(sentence[0]))
            elif not holders and not event.agents and event.frame.klass == "control":
                holders = self._claimant_parties(event, context, resolved, roles)  # "P was brought under control"
            for party, how in dict.fromkeys(holders):
                if party == "unknown" and event.frame.klass != "nominal":
                    continue
                holders_seen.append((party, how))
                # Keyed by side: a side's holder is not the whole crossing's. An earlier holder
                # ("had controlled P since 2015") is not who takes P in a later agentless sentence.
                if event.asserted and (event.frame.klass in _TAKING or event.frame.holding):
                    context.holders.setdefault((resolved.place.id, resolved.side), []).append((party, how))
                out.append(self._claim(report, resolved, party, how, event, event_date, precision, sentence))
        if event.frame.klass in _TAKING and holders_seen:
            context.events.append((sentence[0], holders_seen))
        return out

    @staticmethod
    def _claimant_parties(event, context: ReportContext, resolved, roles) -> list[tuple[str, str]]:
        """The side announcing a gain as its own ("the Defence Ministry said P was liberated"), if a party."""
        if event.claimant is None:
            return []
        return [h for h in context.parties(event.claimant, resolved.place, resolved.side, roles) if h[0] != "unknown"]

    def _claim(self, report: _Report, resolved, party: str, how: str, event, event_date, precision, sentence) -> Claim:
        confidence = _BASE_CONFIDENCE["party" if how == "party" else how]
        if resolved.described:
            confidence -= 0.05
        confidence -= _PRECISION_PENALTY.get(precision, 0.0)
        start, end = sentence
        if resolved.described and resolved.antecedent is not None and resolved.antecedent < start:
            start = _sentence_start(report.text, resolved.antecedent)
        party_row = self.gazetteer.parties.get(party)
        place = resolved.place
        return Claim(
            place_id=place.id, place=place.name, kind=place.kind, side=resolved.side, party=party,
            party_label=party_row.label if party_row else party, status="controls",
            report_date=report.report_date, event_date=event_date, source=report.source, url=report.url,
            report_id=report.report_id, evidence=report.text[start:end], span=(start, end),
            confidence=round(max(0.05, min(confidence, 1.0)), 2), lat=place.lat, lon=place.lon,
            extractor_version=EXTRACTOR_VERSION, construction=event.frame.name,
            event_precision=_precision_of(event_date, precision),
        )

    @staticmethod
    def _worth_parsing(folded: str, place_starts: list[int], topics, start: int, end: int) -> bool:
        """Parse only sentences with a control word that name a place, describe one, or sit in a roundup line."""
        if frames.CUE_WORDS.search(folded, start, end) is None:
            return False  # no predicate of any frame: nothing the parse could find
        index = bisect_left(place_starts, start)
        if index < len(place_starts) and place_starts[index] < end:
            return True
        if any(a <= start < b for a, b, _ in topics):
            return True
        return DESCRIPTION.search(folded, start, end) is not None

    def _topics(self, text: str, mentions: list[Mention], sentences) -> list[tuple]:
        """Roundup lines ("- Kasab: in Latakia province. Under regime control ..."): (start, end, places).

        ``places[0]`` is the line's own place; a line opening with names only ("Tell Abyad (Akcakale)
        and Ras al-Ayn (Ceylanpinar): both ...") speaks of each of them, a bracketed province only
        locates. A roundup run into one paragraph counts too: a sentence that opens with a place and
        a colon ("Bab al-Hawa (Cilvegozu): overrun by ...").
        """
        topics = []
        lines = [(line.start(), line.end(), line.start("name"), line.end("name"), False)
                 for line in _ROUNDUP_LINE.finditer(text)]  # the text, not the folded text: folding joins lines
        for start, end in sentences:
            opening = _ROUNDUP_SENTENCE.match(text, start, end)
            if opening and not any(a <= start < b for a, b, *_ in lines):
                lines.append((start, end, opening.start("name"), opening.end("name"), True))
        for start, end, name_start, name_end, in_paragraph in sorted(lines):
            named = [m for m in mentions if m.kind == "place" and name_start <= m.start < name_end
                     and len({t[0] for t in m.targets}) == 1]
            if named and (not in_paragraph or (named[0].start == name_start
                                               and _only_names(text, name_start, name_end, named))):
                listed = [m for m in named if not _in_brackets(text, start, m.start)]
                if len(listed) < 2 or not _only_names(text, start, name_end, listed):
                    listed = named[:1]
                places = {}
                for m in listed:
                    places.setdefault(m.targets[0][0], Resolved(self.gazetteer.places[m.targets[0][0]],
                                                                m.targets[0][1], False))
                topics.append((start, end, tuple(places.values())))
        return topics

    def _roundup_claims(self, topic, context: ReportContext, report: _Report) -> list[Claim]:
        """"- Kassab (Yayladagi): Syrian government." -- a roundup line whose first words name the holder."""
        start, end, places = topic
        folded = report.folded
        colon = folded.index(":", start, end) + 1
        segment_end = min([m.start() for m in _SEGMENT_END.finditer(folded, colon, end)] + [end])
        holder = next((m for m in context.mentions if colon <= m.start < segment_end
                       and m.kind in ("party", "generic", "country")), None)
        lead = _HOLDER_LEAD.fullmatch(folded, colon, holder.start) if holder is not None else None
        if holder is None or holder.kind == "country" or lead is None:
            return []
        phrase = frames.Slot((holder.start, holder.end), (colon, segment_end), ((colon, segment_end),), "")
        dates = [d for d in find_dates(folded, report.report_date, start, end)
                 if d.value is not None and (_SINCE_OR_TAKEN.search(folded, max(start, d.start - 16), d.start)
                                             or (lead.group("taken") and colon <= d.start < segment_end))]
        event_date, precision = (dates[0].value, dates[0].precision) if dates else (None, None)
        event = frames.Event(_ROUNDUP_FRAME, (colon, colon), [], [])
        line = (start, end)
        return [self._claim(report, place, party, how, event, event_date, precision, line)
                for place in places for party, how in context.parties(phrase, place.place, place.side, {})
                if party != "unknown"]

    def _roles(self, folded: str, mentions: list[Mention], start: int, end: int) -> dict[int, tuple[str, str]]:
        """Generic mentions of this sentence that stand for a named party: "we" in a quotation, "his men"."""
        roles = {}
        first = bisect_left(mentions, start, key=lambda m: m.start)
        in_sentence = mentions[first:bisect_left(mentions, end, lo=first, key=lambda m: m.start)]
        for index, m in enumerate(in_sentence):
            if m.kind != "generic":
                continue
            if m.targets[0] == "speaker":
                speaker = _speaker(control.Item("generic", m.start, m.end, "speaker"), folded, mentions)
                roles[m.start] = ("party", speaker.targets[0]) if speaker and speaker.kind == "party" else (
                    ("role", speaker.targets[0]) if speaker else ("role", "none"))
            elif m.targets[0] == "possessive":
                # "the regime ... its forces": the owner may be a kind of party, not only a name
                owner = next((o for o in reversed(in_sentence[:index]) if o.names_holder), None)
                roles[m.start] = (("party", owner.targets[0]) if owner and owner.kind == "party"
                                  else ("role", owner.targets[0]) if owner else ("role", "armed-group"))
        return roles

    # -- the rule path (no parser) -----------------------------------------------------------
    def _rule_claims(self, report: _Report) -> list[Claim]:
        """Rules over each sentence's word order: what runs where the parser cannot."""
        text, folded, mentions = report.text, report.folded, report.mentions
        report_date, source, url, report_id = report.report_date, report.source, report.url, report.report_id
        context = self._report_context(mentions)
        history: list[list[_Resolved]] = []  # groups of coordinated places, in text order
        claims: list[Claim] = []
        place_starts = [m.start for m in mentions if m.kind == "place"]
        for s_start, s_end in split_sentences(text):
            if not self._may_claim(folded, place_starts, s_start, s_end):
                continue  # most sentences of a report name no place: skip them cheaply
            sentence_items = self._items(text, folded, mentions, s_start, s_end, report_date)
            resolved_refs: dict[int, list[_Resolved]] = {}
            self._resolve_references(sentence_items, folded, history, resolved_refs, s_start)
            for c_start, c_end in control.clauses(folded, s_start, s_end):
                clause_items = [i for i in sentence_items if c_start <= i.start < c_end and i.kind != "verb"]
                clause_items += control.verbs_in(folded, c_start, c_end)
                clause_items.sort(key=lambda i: (i.start, -i.end))
                for found in control.attributions(clause_items, folded, sentence_items):
                    claims.extend(self._claims(found, sentence_items + [i for i in clause_items if i.kind == "verb"],
                                               resolved_refs, text, folded, (s_start, s_end), (c_start, c_end),
                                               report_date, source, url, report_id, context))
        return _merge(claims)

    # -- steps -------------------------------------------------------------------------------
    @staticmethod
    def _may_claim(folded: str, place_starts: list[int], start: int, end: int) -> bool:
        """Whether a sentence names a place, refers back to one, or speaks of all crossings."""
        index = bisect_left(place_starts, start)
        if index < len(place_starts) and place_starts[index] < end:
            return True
        return bool(control.REFERENCE.search(folded, start, end) or control.AGGREGATE.search(folded, start, end))

    def _report_context(self, mentions: list[Mention]) -> dict:
        groups = {t for m in mentions if m.kind == "party" for t in m.targets
                  if self.gazetteer.parties[t].kind in ("armed-group", "other")}
        countries = Counter(t for m in mentions if m.kind == "country" for t in m.targets)
        for m in mentions:
            if m.kind == "place":
                for place_id, side in m.targets:
                    countries.update(self.gazetteer.places[place_id].countries if side is None else (side,))
        return {"armed_groups": groups, "countries": countries}

    def _items(self, text, folded, mentions, start, end, report_date) -> list[control.Item]:
        items = []
        # Mentions are in text order: look only at this sentence's (a scan of all made reports quadratic).
        first = bisect_left(mentions, start, key=lambda m: m.start)
        for m in mentions[first:bisect_left(mentions, end, lo=first, key=lambda m: m.start)]:
            if m.end > end:
                continue
            if m.kind == "place":
                targets = self._disambiguate(m, folded)
                if targets and not self._city_not_province(targets, folded, m) \
                        and not _ROUTE_BEFORE.search(folded, max(start, m.start - 48), m.start) \
                        and not _ROUTE_AFTER.match(folded, m.end):
                    items.append(control.Item("place", m.start, m.end, targets))
            elif m.kind == "generic" and m.targets[0].startswith("adj-"):
                # "Kurdish", "government": holders only inside "in Kurdish hands", "government-held"
                items.append(control.Item("adjparty", m.start, m.end, m.targets[0][4:], sub=folded[m.start:m.end]))
            else:
                items.append(control.Item(m.kind, m.start, m.end, m.targets[0], sub=folded[m.start:m.end]))
        taken = [(i.start, i.end) for i in items]
        for match in control.REFERENCE.finditer(folded, start, end):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            extra = {"text": match.group()}
            with_country = re.match(r"\s+with\s+([\w']+)", folded[match.end():match.end() + 30])
            if with_country:
                if with_country.group(1) not in self._adjectives:
                    continue  # "the crossing with Jordan" we cannot place is not a reference
                extra["with"] = self._adjectives[with_country.group(1)]
            items.append(control.Item("ref", match.start(), match.end(), None, sub=match.lastgroup, extra=extra))
        for match in control.AGGREGATE.finditer(folded, start, end):
            items.append(control.Item("aggregate", match.start(), match.end(), None,
                                      extra={"scope": match.group("scope")}))
        for mention in find_dates(folded, report_date, start, end):
            items.append(control.Item("date", mention.start, mention.end, mention))
        items.sort(key=lambda i: (i.start, -i.end))
        self._resolve_possessives(items)
        for item in items:
            if item.kind == "generic" and item.data == "speaker":
                speaker = _speaker(item, folded, mentions)
                item.kind, item.data = (speaker.kind, speaker.targets[0]) if speaker else ("unresolved", None)
        # An aggregate phrase contains country names and "crossings": keep only the aggregate.
        spans = [(i.start, i.end) for i in items if i.kind == "aggregate"]
        return [i for i in items if i.kind == "aggregate" or i.kind == "date"
                or not any(a <= i.start and i.end <= b for a, b in spans)]

    @staticmethod
    def _resolve_possessives(items: list) -> None:
        """"his men", "their forces": the party named last before them in the sentence."""
        for index, item in enumerate(items):
            if item.kind == "generic" and item.data == "possessive":
                owner = next((i for i in reversed(items[:index]) if i.kind in ("party", "adjparty")
                              or (i.kind == "generic" and i.data != "possessive")), None)
                if owner is None:
                    item.data = "armed-group"
                else:
                    item.kind = "party" if owner.kind == "party" else "generic"
                    item.data = owner.data

    def _city_not_province(self, targets, folded: str, mention: Mention) -> bool:
        """"the city of Raqqa", "Daraa city", "the Beirut-Damascus highway": not the province itself."""
        if any(self.gazetteer.places[pid].kind != "province" for pid, _ in targets):
            return False
        before = folded[max(0, mention.start - 12):mention.start]
        after = folded[mention.end:mention.end + 12]
        return bool(re.search(r"\b(?:city|town)\s+of\s+$", before)
                    or re.match(r"\s+(?:city|town|highway|road|motorway|airport|countryside|suburbs?|based)\b", after))

    def _disambiguate(self, mention: Mention, folded: str) -> tuple:
        targets = mention.targets
        place_ids = {place_id for place_id, _ in targets}
        if len(place_ids) == 1:
            return targets
        after = _DISAMBIGUATE_AFTER.match(folded, mention.end)
        if after is None:
            return ()
        wanted = "province" if after.group("word") in ("province", "governorate") else "crossing"
        chosen = tuple(t for t in targets if self.gazetteer.places[t[0]].kind == wanted)
        return chosen if len({t[0] for t in chosen}) == 1 else ()

    def _resolve_references(self, items, folded, history, resolved, sentence_start) -> None:
        """Give each reference item the places it points back to; extend the history."""
        group: list[_Resolved] = []
        cursor = last_end = None
        for item in items:
            if item.kind in ("place", "ref"):
                last_end, previous_end = item.end, last_end
            if item.kind == "place":
                entries = [_Resolved(self.gazetteer.places[pid], side or control.side_before(
                    folded, item.start, self._adjectives), False) for pid, side in item.data]
                coordinated = cursor is not None and re.match(
                    r"^(?:\s|,|\b(?:and|or|the|border|crossing|crossings|post|posts|as\s+well\s+as)\b)*$",
                    folded[cursor:item.start])
                if group and not coordinated:
                    history.append(group)
                    group = []
                group.extend(entries[:1])
                for entry in entries:
                    entry.antecedent_start = item.start
                resolved[item.start] = entries[:1]
                cursor = item.end
            elif item.kind == "ref":
                if group:
                    history.append(group)
                    group = []
                # "the capital and its airport, which remain ...": "which" names what stands just before it
                far = item.extra["text"] == "which" and (
                    previous_end is None or not _RELATIVE_GAP.match(folded, previous_end, item.start))
                cursor = None
                resolved[item.start] = [] if far else self._resolve_reference(item, history, sentence_start)
                if resolved[item.start] and item.sub in ("definite", "pronoun"):
                    history.append(resolved[item.start])
        if group:
            history.append(group)

    def _resolve_reference(self, item, history, sentence_start) -> list[_Resolved]:
        kind, words = item.sub, item.extra["text"].split()
        def marked(entries):
            return [_Resolved(e.place, e.side, True, e.antecedent_start) for e in entries]
        if kind in ("ordinal", "both"):
            lists = [g for g in history if len(g) >= 2]
            if not lists:
                return []
            last = lists[-1]
            if kind == "both":
                return marked(last)
            position = {"first": 0, "former": 0, "second": 1, "third": 2, "latter": -1}[words[-1]]
            return marked([last[position]]) if position < len(last) else []
        flat = [e for g in history for e in g]
        if kind == "definite":
            wanted = "province" if words[-1] in ("province", "governorate") else "crossing"
            country = item.extra.get("with")  # "the crossing with Turkey": a crossing on that border
            for entry in reversed(flat):
                if entry.place.kind == wanted and (country is None or country in entry.place.countries):
                    # "Jaber faces Nasib ... the crossing was captured": the crossing, not the side named last
                    side = entry.side if words[-1] in ("town", "province", "governorate") else None
                    return [_Resolved(entry.place, side, True, entry.antecedent_start)]
            return []
        recent = [e for e in flat if (e.antecedent_start or 0) >= sentence_start - 400]
        crossings = [e for e in recent if e.place.kind == "crossing"]
        if crossings or recent:
            return marked([(crossings or recent)[-1]])
        return []

    def _places_of(self, item, resolved, folded, sentence) -> list[_Resolved]:
        if item.kind in ("place", "ref"):
            return [r for r in resolved.get(item.start, []) if not item.extra.get("negated")]
        if item.kind == "aggregate":
            pair = [self._adjectives[f] for f in re.findall(r"[\w']+", item.extra["scope"]) if f in self._adjectives]
            if len(set(pair)) < 2:
                text_countries = [self._adjectives[w] for w in re.findall(r"[\w']+", folded[sentence[0]:sentence[1]])
                                  if w in self._adjectives]
                pair = list(dict.fromkeys(pair + text_countries))
            pair = list(dict.fromkeys(pair))
            if len(pair) < 2:
                return []
            return [_Resolved(p, None, True) for p in self.gazetteer.crossings_between(pair[0], pair[1])]
        return []

    def _party(self, agent: control.Item | None, place: Place, side: str | None, context) -> tuple[str, str, str]:
        """(party id, label, how it was found) for an agent item at a place."""
        if agent is None:
            return "unknown", "Not under government control", "unknown"
        if agent.kind == "party":
            party = self.gazetteer.parties[agent.data]
            return party.id, party.label, "party"
        role = agent.data.removeprefix("adj-")
        country = side or place.countries[0]
        chosen = None
        if role in ("armed-group", "rebel", "militant") and len(context["armed_groups"]) == 1:
            chosen = next(iter(context["armed_groups"]))
        elif role == "rebel" and not context["armed_groups"] and "SY" in ((side,) if side else place.countries) \
                and "syrian-opposition" in self.gazetteer.parties:
            chosen = "syrian-opposition"  # "rebels" at a Syrian place with no named group: the opposition
        elif role == "state":
            chosen = self.gazetteer.countries[country].government_party if country in self.gazetteer.countries else None
        elif role == "kurdish":
            chosen = self.gazetteer.countries[country].kurdish_party if country in self.gazetteer.countries else None
        if chosen:
            return chosen, self.gazetteer.parties[chosen].label, "generic"
        return "unknown", f"Unnamed {agent.sub}", "unknown"

    @staticmethod
    def _event_date(found: control.Attribution, items, folded, sentence, clause):
        scope_start = min([found.verb.start] + [p.start for p in found.places]
                          + ([found.agent.start] if found.agent is not None else []))
        # The verb's scope ends where the next verb starts ("control P, which they recaptured on 3 Nov").
        scope_end = min([clause[1]] + [i.start for i in items if i.kind == "verb" and i.start > found.verb.end])
        # ... and starts after an earlier verb of the same agent ("seized A on 21 June and took B two days
        # later"): that verb's date is not this one's.
        places_before = [p.start for p in found.places if p.start < found.verb.start]
        earlier_verb = any(i.kind == "verb" and i.sub != "nominal" and scope_start < i.start
                           and i.end <= found.verb.start and not any(start < i.start for start in places_before)
                           for i in items)
        if earlier_verb or found.verb.sub == "later":  # "... and later by B": B's date follows its "by"
            scope_start = max(scope_start, found.verb.start)
        candidates = []
        for item in items:
            if item.kind != "date" or item.data.value is None:
                continue
            if _speech_date(item, folded, clause[0]):
                continue
            inside = scope_start <= item.start < scope_end
            lead = item.start < scope_start and control._LEAD_DATE.match(
                folded[sentence[0]:item.start]) is not None
            if not (inside or lead):
                continue
            distance = abs(item.start - found.verb.end)
            candidates.append((_DATE_RANK.get(item.data.kind, 3), distance, item.data))
        if not candidates:
            return None, None
        candidates.sort(key=lambda c: (c[0], c[1]))
        mention = candidates[0][2]
        return mention.value, mention.precision

    def _claims(self, found, items, resolved, text, folded, sentence, clause, report_date,
                source, url, report_id, context) -> list[Claim]:
        event_date, precision = self._event_date(found, items, folded, sentence, clause)
        out = []
        for place_item in found.places:
            for target in self._places_of(place_item, resolved, folded, sentence):
                party, label, how = self._party(found.agent, target.place, target.side, context)
                if how == "generic" and party in {self._party(loser, target.place, target.side, context)[0]
                                                  for loser in found.losers}:
                    continue  # "his fighters liberated P from the Islamic State": not the Islamic State
                status = found.status
                confidence = _BASE_CONFIDENCE["party" if how == "party" else how if how != "unknown" else "unknown"]
                if status == "not-government":
                    confidence = 0.6
                if place_item.kind == "aggregate":
                    confidence = 0.4
                elif target.via_reference:
                    confidence -= 0.05
                if found.hedged:
                    confidence -= 0.2
                confidence -= _PRECISION_PENALTY.get(precision, 0.0)
                start, end = sentence
                if target.via_reference and target.antecedent_start is not None \
                        and target.antecedent_start < start and place_item.kind != "aggregate":
                    start = _sentence_start(text, target.antecedent_start)
                out.append(Claim(
                    place_id=target.place.id, place=target.place.name, kind=target.place.kind,
                    side=target.side, party=party, party_label=label, status=status,
                    report_date=report_date, event_date=event_date, source=source, url=url,
                    report_id=report_id, evidence=text[start:end], span=(start, end),
                    confidence=round(max(0.05, min(confidence, 1.0)), 2),
                    lat=target.place.lat, lon=target.place.lon,
                    extractor_version=EXTRACTOR_VERSION, construction=found.rule,
                    event_precision=_precision_of(event_date, precision),
                ))
        return out


_QUOTE_MARKS = "\"“”«»"
_SPEECH_VERB = re.compile(r"\b(?:said|says|say|told|tells|added|announced|declared|stated|insisted|claimed|wrote)\b")


def _speaker(item, folded: str, mentions: list[Mention]) -> Mention | None:
    """Who "we" and "our forces" are in a quotation: the party that says it.

    ``"We have liberated P," a PMF commander told TV`` or ``The PMF said: "We hold P"``. Outside a
    quotation (or with no party saying it) "we" is nobody we can name.
    """
    closing = next((i for i in range(item.end, min(len(folded), item.end + 400)) if folded[i] in _QUOTE_MARKS), None)
    opening = next((i for i in range(item.start - 1, max(-1, item.start - 400), -1) if folded[i] in _QUOTE_MARKS), None)
    if closing is None or opening is None:
        return None
    near = mentions[bisect_left(mentions, opening - 120, key=lambda m: m.end):
                    bisect_left(mentions, closing + 120, key=lambda m: m.start)]
    holders = [m for m in near if m.names_holder]
    after = [m for m in holders if closing < m.start < closing + 120 and "." not in folded[closing:m.start].rstrip(".")]
    if after and _SPEECH_VERB.search(folded, closing, min(len(folded), after[0].end + 60)):
        return after[0]
    before = [m for m in holders if opening - 120 < m.end <= opening]
    if before and _SPEECH_VERB.search(folded, before[-1].end, opening):
        return before[-1]
    return None


def _speech_date(item, folded, clause_start) -> bool:
    return control._SPEECH.search(folded[max(clause_start, item.start - 40):item.start]) is not None


def _sentence_start(text: str, offset: int) -> int:
    spans = _sentences_of(text)
    index = bisect_right(spans, offset, key=lambda span: span[0]) - 1
    if index >= 0 and spans[index][0] <= offset < spans[index][1]:
        return spans[index][0]
    return offset


# The report being extracted: splitting it again for every reference made long reports quadratic.
_sentences_of = lru_cache(maxsize=4)(split_sentences)


_STATE_RULES = {"active-hold", "passive-heldby", "passive-hold", "under-control", "adjective-held"}


def _merge(claims: list[Claim]) -> list[Claim]:
    """One claim per place, side, party, status and date in a report.

    A dateless restatement of a dated claim adds nothing; a not-government claim adds nothing
    where the same report names a non-government holder of that place.
    """
    named = {(c.place_id) for c in claims if c.status == "controls" and c.party != "unknown"}
    best: dict[tuple, Claim] = {}
    for claim in claims:
        if claim.status == "not-government" and claim.place_id in named:
            continue
        key = (claim.place_id, claim.side, claim.party, claim.status, claim.event_date)
        if key not in best or claim.confidence > best[key].confidence:
            best[key] = claim
    dated = {(c.place_id, c.side, c.party, c.status) for c in best.values() if c.event_date}
    # A dateless event ("have seized") restates the dated one; a dateless holding statement
    # ("controls") speaks for the report date and stays.
    kept = [c for c in best.values()
            if c.event_date or c.construction in _STATE_RULES
            or (c.place_id, c.side, c.party, c.status) not in dated]
    unique = {}  # the store holds one claim per key and report
    for claim in sorted(kept, key=lambda c: -c.confidence):
        unique.setdefault(claim.key, claim)
    # In text order by where each place and party first appear; within them the dated claim first:
    # a reader sees when it happened before "now holds".
    first = {}
    for claim in sorted(unique.values(), key=lambda c: c.span[0]):
        first.setdefault((claim.place_id, claim.party), claim.span[0])
    return sorted(unique.values(), key=lambda c: (first[(c.place_id, c.party)], c.place_id, c.party,
                                                  c.event_date is None, c.span[0]))


_STILL_HELD = frames.Frame("expel-attempt", "hold", "active", (), (), (), True)


def _still_held(event):
    """"tried to drive the militants out of P": the militants hold P as the report is written."""
    return replace(event, frame=_STILL_HELD, agents=event.expelled, asserted=True, why_not="", since=None)


_NAME_FILLER = re.compile(r"(?:[\s,&/-]|\b(?:and|the|border|crossings?|gates?|posts?|north|south|east|west|of|near|in)"
                          r"\b"
                          r"|\b[A-Z][\w'’-]*)*")


def _only_names(text: str, start: int, end: int, named) -> bool:
    """Whether a roundup sentence's opening is only names.

    "Tell Abyad (Akcakale) and Ras al-Ayn", "Bab al-Salama, north of Azaz" -- not "Al-Qaim and Rabia
    have changed hands".
    """
    chars = list(text[start:end])
    for m in named:
        chars[m.start - start:m.end - start] = " " * (m.end - m.start)
    rest = re.sub(r"\([^()]*\)", " ", "".join(chars))
    return _NAME_FILLER.fullmatch(rest) is not None


def _in_brackets(text: str, start: int, offset: int) -> bool:
    """Whether an offset lies inside parentheses opened after start ("Qaim (Anbar)": Anbar locates Qaim)."""
    return text.count("(", start, offset) > text.count(")", start, offset)


def _since_dates(event, dates) -> list:
    """The dates in the event's "since …" phrase ("had controlled the crossing since May 2015")."""
    return [d for d in dates if event.since[0] <= d.start < event.since[1]] if event.since else []


def _dated_earlier_holding(event, dates) -> bool:
    """"IS had controlled the crossing since May 2015": an earlier holder, on the timeline from that date."""
    return event.why_not == "earlier" and bool(_since_dates(event, dates))


def _within(mention, spans) -> bool:
    """Whether a date phrase overlaps one of a verb's token spans."""
    return any(a <= mention.start < b or mention.start <= a < mention.end for a, b in spans)


def _frame_date(event, dates, report: _Report, sentence_start: int) -> tuple[date | None, str | None]:
    """The date phrase the event's own predicate governs (not the nearest one in the sentence)."""
    folded = report.folded
    if not event.frame.holding:
        # "control of its first crossing since 2012": since dates a holding, not a capture
        dates = [d for d in dates if not folded.endswith("since ", 0, d.start)]
    if event.why_not == "earlier":  # only dated earlier holdings get here (_dated_earlier_holding)
        since = _since_dates(event, dates)[0]
        return since.value, since.precision
    candidates = []
    for domain in [event.domain, *event.around]:
        for mention in dates:
            if _within(mention, domain):
                candidates.append((_DATE_RANK.get(mention.kind, 3), abs(mention.start - event.trigger[0]), mention))
        if candidates:
            break  # the event's own date, else the nearest verb's around it
    if not candidates:
        anchored = [d for d in dates if d.precision == "day" and _within(d, event.anchor)]
        if anchored:
            return anchored[0].value + timedelta(days=event.shift_days), "day"
        reported = [d for d in dates if d.precision == "day" and _within(d, event.reported)]
        if reported:
            return reported[0].value, "day"  # "declared yesterday that P has been liberated"
        heading = [d for d in dates if folded[sentence_start:d.start].strip(" \n•*-") == ""
                   and _TIMELINE_DASH.match(report.text, d.end)]
        if heading:
            return heading[0].value, heading[0].precision  # a timeline's line: "6 July 2018 – troops enter P"
        return None, None
    best = min(candidates, key=lambda c: (c[0], c[1]))[2]
    return best.value, best.precision


def _precision_of(event_date: date | None, precision: str | None) -> str | None:
    return precision if event_date is not None and precision not in (None, "none") else None
