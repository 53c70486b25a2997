"""Find gazetteer places, parties and countries in text with one Aho-Corasick automaton (pure after build)."""

from __future__ import annotations

from dataclasses import dataclass

import re
from bisect import bisect_left
from itertools import accumulate
from difflib import get_close_matches

import ahocorasick

from geodata.gazetteer import Gazetteer
from geodata.names import alias_keys, fold

# Arabic clitics ("and", "in", "to") glued to the next word; a name after them is still a name.
_ARABIC_PREFIXES = set("وبلف")


@dataclass(frozen=True)
class Mention:
    """A span of text naming something in the gazetteer.

    ``kind`` is ``place``, ``party``, ``generic`` or ``country``; ``targets`` holds what it names:
    ``(place_id, side)`` pairs for places, a party id, a generic role, or a country code.
    """

    kind: str
    start: int
    end: int
    targets: tuple

    @property
    def names_holder(self) -> bool:
        """Whether it names a party or a kind of party ("government soldiers"), not a pronoun stand-in
        ("we", "his men") or a bare adjective ("Kurdish")."""
        return self.kind == "party" or (self.kind == "generic" and self.targets[0] not in ("speaker", "possessive")
                                        and not self.targets[0].startswith("adj-"))


class MentionMatcher:
    """Compiled once per gazetteer; :meth:`find` is then linear in the text's length."""

    def __init__(self, gazetteer: Gazetteer):
        entries: dict[str, list] = {}

        def add(key: str, kind: str, target, exact: str | None = None) -> None:
            entries.setdefault(key, []).append((kind, target, exact))

        for key, targets in gazetteer.alias_index().items():
            for target in targets:
                add(key, "place", target)
        for party in gazetteer.parties.values():
            for alias in party.aliases:
                # Short all-capital aliases ("IS", "SNA") only count when written in capitals.
                exact = alias if alias.isupper() and len(alias) <= 5 else None
                for key in alias_keys(alias) if not exact else {fold(alias)}:
                    add(key, "party", party.id, exact)
        for term, role in gazetteer.generic_terms.items():
            add(fold(term), "generic", role)
        for country in gazetteer.countries.values():
            for alias in country.aliases:
                add(fold(alias), "country", country.iso2)
        automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            automaton.add_word(key, (key, tuple(values)))
        automaton.make_automaton()
        self._automaton = automaton
        self.ambiguous = gazetteer.ambiguous
        self._admin1 = {p.id: set(p.admin1) | ({p.iso_3166_2} if p.iso_3166_2 else set())
                        for p in gazetteer.places.values()}
        self._kinds = {p.id: p.kind for p in gazetteer.places.values()}
        skeletons: dict[str, tuple[set, list]] = {}
        for key, targets in gazetteer.alias_index().items():
            if not key.isascii():
                continue
            skeleton = spelling_skeleton(key)
            if len(skeleton) >= 3:
                entry = skeletons.setdefault(skeleton, (set(), []))
                entry[0].update(targets)
                entry[1].append(_bare(key))
        # A skeleton shared by two places ("Rabia" / "Rabi") tells neither apart: left out.
        self._skeletons = {k: (tuple(targets), keys) for k, (targets, keys) in skeletons.items()
                           if len({t[0] for t in targets}) == 1}

    def find(self, text: str, folded: str | None = None) -> list[Mention]:
        """All non-overlapping mentions in ``text``, longest first where they overlap, in order.

        Examples
        --------
        >>> from geodata import load_gazetteer
        >>> m = MentionMatcher(load_gazetteer())
        >>> [(x.kind, x.targets) for x in m.find("ISIL seized al-Qa'im")]
        [('party', ('isil',)), ('place', (('al-qaim', None),))]
        """
        folded = fold(text) if folded is None else folded
        candidates = []
        size = len(folded)
        for end_index, (key, values) in self._automaton.iter(folded):
            end = end_index + 1
            start = end - len(key)
            if not _bounded(folded, start, end, size):
                continue
            start = _with_article(folded, start)
            for kind, target, exact in values:
                if exact is not None and text[start:end] != exact:
                    continue
                candidates.append((start, end, kind, target))
        candidates.extend(self._spelled_otherwise(text, folded, candidates))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        mentions: list[Mention] = []
        last_end = -1
        for start, end, kind, target in candidates:
            if start < last_end:
                if mentions and mentions[-1].start == start and mentions[-1].end == end \
                        and mentions[-1].kind == kind:
                    previous = mentions[-1]
                    if target not in previous.targets:
                        mentions[-1] = Mention(kind, start, end, previous.targets + (target,))
                continue
            mentions.append(Mention(kind, start, end, (target,)))
            last_end = end
        return self._without_namesakes(mentions, folded)

    def _without_namesakes(self, mentions: list[Mention], folded: str) -> list[Mention]:
        """The mentions without a crossing's namesakes, there and in the rest of the report.

        A crossing's name that the text puts in a province the crossing is not in is another town:
        "the town of Rabia, the last rebel stronghold in northern Latakia province" is not the Iraqi Rabia.
        """
        dropped = set()
        for index, m in enumerate(mentions):
            if m.kind != "place" or len(m.targets) != 1 or self._kinds[m.targets[0][0]] != "crossing":
                continue
            after = next((a for a in mentions[index + 1:index + 6] if a.kind == "place"), None)
            if after is None or after.start - m.end > 100 or "." in folded[m.end:after.start]:
                continue
            if len(after.targets) == 1 and self._kinds[after.targets[0][0]] == "province" \
                    and _LOCATING.search(folded, max(m.end, after.start - 40), after.start) \
                    and re.match(r"[\w\s-]*\b(?:province|governorate)\b", folded[after.start:after.end + 12]) \
                    and not self._admin1[after.targets[0][0]] & self._admin1[m.targets[0][0]]:
                dropped.add(index)
        # the report's other mentions of that name are the same town
        names = {_bare(folded[mentions[i].start:mentions[i].end]) for i in dropped}
        return [m for i, m in enumerate(mentions) if i not in dropped
                and not (m.kind == "place" and _bare(folded[m.start:m.end]) in names)]


    def _spelled_otherwise(self, text: str, folded: str, found: list) -> list:
        """Capitalised names the aliases miss by a transliteration ("Yaarabiya", "Nasseeb", "Yaroubiya").

        Names are compared by their consonant skeleton, the part transliterations agree on; only a
        skeleton that one place alone has counts, and only where no alias already matched.
        """
        covered = sorted((start, end) for start, end, _, _ in found)
        starts = [a for a, _ in covered]
        reach = list(accumulate((b for _, b in covered), max))  # the furthest end among spans so far
        extra = []
        for match in _CAPITALISED.finditer(text):
            start, end = match.span()
            first = match.group().split(maxsplit=1)[0]
            if first in SENTENCE_OPENERS and " " in match.group():
                start += len(first) + 1  # "The Tel Kocer crossing": the name after the sentence's first word
            before = bisect_left(starts, end)  # spans starting before this word ends
            if before and reach[before - 1] > start:
                continue  # an alias already covers part of it
            targets, keys = self._skeletons.get(spelling_skeleton(folded[start:end]), ((), ()))
            # The same skeleton is not enough ("Qusayr" and "Khosrawi" share k-s-r): the spelling
            # must also be close as a whole (difflib's ratio, as in difflib.get_close_matches).
            if targets and end - start >= _SHORTEST_VARIANT \
                    and get_close_matches(_bare(folded[start:end]), keys, 1, _CLOSE):
                extra.extend((start, end, "place", target) for target in targets)
        return extra


# "... in the mountains of northern Latakia province": where the text locates what it just named
_LOCATING = re.compile(r"\bin\s+(?:the\s+)?(?:[\w-]+\s+){0,4}$")
_CAPITALISED = re.compile(r"\b(?:(?:[Aa]l|[Ee]l)-?\s?)?[A-Z][a-z'’]+(?:[-\s](?:(?:al|el)[-\s])?[A-Z][a-z'’]+){0,2}\b")


def spelling_skeleton(folded_name: str) -> str:
    """What transliterations of one Arabic or Kurdish name share: its first letter and consonants.

    Besides vowels, a final h, h after c/k/s/t/d/g/z (kh, sh, ch, th …) and y/w next to a vowel
    (long vowels) go: transliterations write or leave them out ("Yaarubia", "Yarubiyah"; "Tel Koçer", "Tal Kocher").

    >>> spelling_skeleton("yaarabiya"), spelling_skeleton("al yarubiyah"), spelling_skeleton("tinif")
    ('yrb', 'yrb', 'tnf')
    >>> spelling_skeleton("tel kocer") == spelling_skeleton("tal kocher"), spelling_skeleton("bab hawa")
    (True, 'bbh')
    """
    joined = _bare(folded_name).replace(" ", "")
    if not joined:
        return ""
    kept = []
    for i, c in enumerate(joined[1:], start=1):
        before, after = joined[i - 1], joined[i + 1:i + 2]
        if c in "aeiou'’" or (c == "h" and (before in "ckstdgz" or not after)) or (
                c in "yw" and (before in "aeiou" or after in tuple("aeiou"))):
            continue
        kept.append("k" if c in "qc" else c)
    collapsed = "".join(c for i, c in enumerate(kept) if i == 0 or c != kept[i - 1])
    return ("k" if joined[0] in "qc" else joined[0]) + collapsed


def _bare(folded_name: str) -> str:
    """A name without articles and kind words: "al yarubiyah border crossing" -> "yarubiyah"."""
    return " ".join(w for w in folded_name.split() if w not in ("al", "el", "border", "crossing", "gate", "post"))


# Capitalised words that open a sentence, never a name: "The Tel Kocer crossing", "It fell".
SENTENCE_OPENERS = {"The", "A", "An", "In", "On", "At", "From", "To", "By", "Near", "Both", "Its", "Their", "This",
                    "That", "It", "One", "Another"}
_CLOSE = 0.7  # difflib ratio a spelling must reach against one of the place's own spellings
# Shorter capitalised words are too often other towns ("Salma" in Latakia is not Bab al-Salama)
_SHORTEST_VARIANT = 6


_ARTICLE_WORDS = ("al", "el")


def _with_article(folded: str, start: int) -> int:
    """Extend a match back over a written article ("al-Qaim" matched as "Qaim")."""
    for article in _ARTICLE_WORDS:
        begin = start - len(article) - 1
        if begin >= 0 and folded[begin:start] == article + " " and (begin == 0 or not folded[begin - 1].isalnum()):
            return begin
    return start


def _bounded(folded: str, start: int, end: int, size: int) -> bool:
    if start > 0:
        before = folded[start - 1]
        if before.isalnum():
            if not (before in _ARABIC_PREFIXES and (start < 2 or not folded[start - 2].isalnum())):
                return False
    return end >= size or not folded[end].isalnum()
