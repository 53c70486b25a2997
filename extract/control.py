"""Who holds what: party attribution from a sentence's structure (pure).

A sentence becomes a row of *items* (places, references, parties, verbs, cues, dates) in text
order; rules over that row decide each verb's holder and places:

* active  - ``PARTY verb PLACE[, PLACE and PLACE]`` ("militants seized Al-Qaim and Rabia")
* passive - ``PLACE ... verb by|to PARTY`` ("Rabia fell to ISIL", "was retaken by Kurdish forces")
* framed  - ``under PARTY control``, ``in PARTY hands``, ``PARTY-held PLACE``
* release - ``PARTY withdrew from PLACE`` gives no holder (unless "... by|to PARTY" follows)
* not-government - ``PLACE ... outside government hands``; ``all crossings between A and B ...``

A verb is dropped when an attempt or negation cue governs it ("failed to take", "did not seize").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Verb forms, on folded text (lower case, hyphens as spaces).
_CONTROL_OF = r"(?:full\s+|total\s+|effective\s+|complete\s+|partial\s+)?control\s+(?:of|over)"
VERB_PATTERNS: dict[str, str] = {
    "retake": rf"""re\s?took|re\s?taken?|re\s?takes|re\s?taking|took\s+back|take\s+back|taken\s+back|taking\s+back
        |recaptured?|recaptures|recapturing|re\s+captured?|won\s+back|win\s+back|wins\s+back
        |regain(?:ed|s|ing)?(?:\s+{_CONTROL_OF})?|reclaim(?:ed|s|ing)?|liberat(?:ed|es?|ing)
        |(?:won|win|wins|winning|took|take|takes|taking)(?=\s+(?:it|them|the\s+\w+(?:\s+\w+)?)\s+back\b)
        |re\s?established\s+{_CONTROL_OF}|restor(?:ed|es?|ing)\s+(?:\w+\s+){{0,2}}?{_CONTROL_OF}
        |reassert(?:ed|s|ing)?\s+{_CONTROL_OF}|retook\s+{_CONTROL_OF}""",
    "take": rf"""(?:took|take|takes|taking|taken|seized?|seizes|seizing|gain(?:ed|s|ing)?|wrest(?:ed|s|ing)?
            |won|win|wins|assum(?:ed|es?|ing)|establish(?:ed|es|ing)?|grabbed|grab|grabs|secur(?:ed|es?|ing))\s+{_CONTROL_OF}
        |took\s+over|take\s+over|takes\s+over|taking\s+over|taken\s+over
        |seized?|seizes|seizing|captured?|captures|capturing|took|taken|overr(?:an|un|uns|unning)
        |stormed|storms?|storming|occupied|occup(?:y|ies|ying)|grabbed|swept\s+(?:into|through)
        |conquered|conquer|conquers|conquering|secured|rolled\s+into""",
    "hold": rf"""(?:remain(?:ed|s|ing)?|is|are|was|were|be|been|stay(?:ed|s)?|still)\s+in\s+{_CONTROL_OF}|in\s+{_CONTROL_OF}|in\s+charge\s+of
        |(?:kept|keep|keeps|keeping|maintain(?:ed|s|ing)?|retain(?:ed|s|ing)?|exercis(?:ed|es?|ing)|have|has|had|with)\s+{_CONTROL_OF}
        |holds?|holding|held|controls?|controlled|controlling|retain(?:ed|s|ing)?|mann?(?:ed|s|ing)|man(?=\s+the\b)|runs|running|administer(?:ed|s|ing)?
        |dominat(?:ed|es?|ing)""",
    "fell": r"""f[ae]ll(?:en|s|ing)?\s+(?:(?:almost|nearly|quickly|swiftly|entirely|completely|fully|largely|mostly|back)\s+){0,2}(?:in)?to(?!\s+the\s+ground)|(?:was|were|been|is|are)\s+(?:(?:later|then|soon|\w+ly)\s+)?lost\s+to|(?:c[ao]me?s?|coming|fell|f[ae]ll(?:en|s|ing)?)\s+under(?:\s+the)?(?:\s+(?:full|total|firm|complete))?(?:\s+control\s+of)?|pass(?:ed|es)?\s+(?:from\s+[^,.;]{1,60}?\s+)?(?:in)?to
        |(?:was|were|been|is|are|being)\s+(?:handed|turned|transferred)\s+(?:over\s+|back\s+)?to|reverted\s+to|returned\s+to""",
    "heldby": rf"""(?:held|controlled|run|manned|administered|dominated|retained)\s+by|in\s+the\s+hands\s+of|under\s+the\s+(?:\w+\s+)?control\s+of
        |in\s+{_CONTROL_OF}\s+of|under\s+(?:the\s+)?(?:full\s+|total\s+|firm\s+)?control\s+of|remain(?:ed|s)?\s+with""",
    "withdraw": r"""withdr(?:ew|aw|awn|aws|awing)\s+(?:\w+\s+)?from|pull(?:ed|s|ing)?\s+(?:out|back)\s+(?:of|from)|retreat(?:ed|s|ing)?\s+from
        |abandon(?:ed|s|ing)?|fled|flee(?:s|ing)?|evacuat(?:ed|es?|ing)|vacat(?:ed|es?|ing)|(?:ceded?|ceding|surrender(?:ed|s|ing)?)(?:\s+control\s+(?:of|over))?
        |lost\s+control\s+of|lost|loses?|losing|(?:was|were|been|being)\s+(?:driven|pushed|forced|kicked|expelled|ousted|flushed|routed|chased)\s+(?:out\s+of|from|away\s+from)
        |left|leave|leaves|leaving""",
    "expel": r"""dr[oi]ve(?:s|n)?|driving|push(?:ed|es|ing)|forc(?:ed|ing)|expel(?:led|s|ling)?|oust(?:ed|s|ing)?|kick(?:ed|s|ing)
        |flush(?:ed|es|ing)|clear(?:ed|s|ing)|rout(?:ed|s|ing)|chas(?:ed|es?|ing)|evict(?:ed|s|ing)?""",
    "handover": r"""(?:hand(?:ed|ing)(?:\s+over|\s+back)?|hands\s+(?:over|back)|turn(?:ed|s|ing)?\s+over|transferr?(?:ed|s|ing)?|gave|give[sn]?|giving)(?:\s+(?:full\s+)?control\s+(?:of|over))?""",
    "nominal": r"""(?:fall|capture|seizure|takeover|recapture|liberation|loss|handover)\s+of""",
    "notgov": r"""(?:outside|out\s+of|beyond|free\s+of|no\s+longer\s+(?:in|under)|not\s+(?:in|under)|removed\s+from|slipped\s+from|escaped)
        \s+(?:the\s+)?(?:control\s+of\s+the\s+)?(?:central\s+|iraqi\s+|syrian\s+|federal\s+|baghdad's\s+|damascus's\s+|baghdad\s+|damascus\s+)?
        (?:government(?:'s)?|state|regime(?:'s)?|authorities'?)\s*(?:control|hands)?""",
}
VERB = re.compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in VERB_PATTERNS.items()) + r")\b",
    re.VERBOSE,
)
# Words that, just before a verb, make it passive ("was seized", "has been retaken").
_PASSIVE_AUX = re.compile(
    r"\b(?:was|were|is|are|been|being|be|got|get|gets)\s+(?:(?:reportedly|now|also|later|then|eventually|finally|fully|"
    r"completely|already|officially|again|briefly|quickly|swiftly|recently|effectively|largely|partially|all\s+but)\s+)*$"
)
_BY = re.compile(r"^\s*(?:(?:on|in|at|during|late|early)\s+[\w\s,]{0,25}?\s+)?by\s+(?:the\s+)?$")
_TO_OR_UNDER = re.compile(r"^\s*(?:the\s+)?(?:control\s+of\s+(?:the\s+)?)?$")
# Attempt and negation cues that govern the verb right after them (a few words away at most).
_CUE_NEAR = re.compile(
    r"""\b(?:fail(?:ed|s|ing)?\s+to|(?:tried|try|tries|trying)\s+to|attempt(?:ed|s|ing)?\s+to|an?\s+attempt\s+to|bid\s+to|sought\s+to|seek(?:s|ing)?\s+to
    |aim(?:ed|s|ing)?\s+to|push(?:ed)?\s+to|drive\s+to|offensive\s+to|campaign\s+to|operation\s+to|battle\s+to|fight(?:ing)?\s+to|plan(?:s|ned|ning)?\s+to
    |prepar(?:ing|ed|es?)\s+to|threat(?:en(?:ed|s|ing)?)?\s+to|vow(?:ed|s|ing)?\s+to|hop(?:e|es|ed|ing)\s+to|want(?:s|ed)?\s+to|intend(?:s|ed)?\s+to
    |expected\s+to|likely\s+to|unlikely\s+to|poised\s+to|set\s+to|ready\s+to|about\s+to|close\s+to|on\s+the\s+verge\s+of|in\s+order\s+to|able\s+to|unable\s+to
    |could|may|might|would|will|shall|should|must|cannot|can|can't|won't|wouldn't|couldn't
    |did\s+not|didn't|do\s+not|don't|does\s+not|doesn't|has\s+not|hasn't|have\s+not|haven't|had\s+not|hadn't
    |was\s+not|wasn't|were\s+not|weren't|is\s+not|isn't|are\s+not|aren't|never|not|no\s+longer|nor|without
    |advanc(?:ed|ing|es?)\s+(?:\w+\s+){0,4}?to|mov(?:ed|ing|es?)\s+(?:\w+\s+){0,3}?to|march(?:ed|ing|es)?\s+(?:\w+\s+){0,3}?to|head(?:ed|ing|s)?\s+(?:\w+\s+){0,3}?to
    |efforts?\s+to|refus(?:ed|es|ing)\s+to|declin(?:ed|es|ing)\s+to|demand(?:ed|s|ing)?(?:\s+that)?|call(?:ed|s|ing)?\s+on|urg(?:ed|es|ing)|struggl(?:ed|ing|es?)\s+to|sent\s+(?:\w+\s+){0,3}?to|deployed\s+(?:\w+\s+){0,3}?to|before)
    (?:\s+(?:be|have|been|being|the|militants|yet|still|even|so\s+far|ever|fully|\w+ly))*\s*$""",
    re.VERBOSE,
)
# An assault that did not hold: "stormed P but were pushed back", "briefly took P before being repelled".
_REPELLED_AFTER = re.compile(
    r"[^.;]{0,80}?\b(?:but\s+(?:\w+\s+){0,2}?(?:were|was|got|had\s+been)|before\s+being|only\s+to\s+be)\s+(?:\w+ly\s+)?"
    r"(?:repelled|repulsed|(?:pushed|driven|beaten|thrown|forced)\s+(?:back|out)|forced\s+to\s+(?:withdraw|retreat))")
_CUE_NEAR_EXCEPTIONS = re.compile(r"\b(?:managed|succeeded|went\s+on|able)\s+to\s*$")
# Cues that govern everything after them in the clause ("denied that militants had seized").
_CUE_CLAUSE = re.compile(
    r"\b(?:den(?:ied|y|ies|ying)|denial|rejected\s+(?:claims|reports)|dismissed\s+(?:claims|reports)"
    r"|if\s|whether|unless|in\s+case|contrary\s+to|instead\s+of|rather\s+than"
    r"|expect(?:s|ed|ing)?|predict(?:s|ed|ing)?|fear(?:s|ed)?\s+that|warn(?:s|ed)?\s+that|risk\s+of|in\s+danger\s+of)\b"
)
_SAYING = re.compile(r",\s*(?:saying|adding|insisting|arguing|stressing|explaining|noting)\b")
_HEDGE = re.compile(r"\b(?:reportedly|claimed|claims|allegedly|purportedly|unverified|unconfirmed|rumou?rs?|said\s+to|appears\s+to|apparently)\b")
_FOLLOWED_BY_BY = re.compile(r"\s+(?:(?:on|in|late|early|during)\s+[\w\s]{1,20}?\s+)?by\b")
_PARTICIPLE = re.compile(r"^(?:\w+ed|taken|retaken|re\s+taken|held|overrun|won|swept|lost|run|retained)\b")
_HAD = re.compile(r"\b(?:had|had\s+long|had\s+previously|had\s+been|formerly|previously|once|used\s+to)\s+(?:\w+ly\s+)?$")
CLAUSE_BREAK = re.compile(r";|\s(?:while|whereas|but|although|though|however|meanwhile|even\s+as)\s|:\s")
REFERENCE = re.compile(
    r"""\b(?P<ordinal>the\s+(?:first|second|third|former|latter))\b(?!\s+(?:time|day|week|crossing|of|one|two|three|half|phase))
    |\b(?P<both>both(?:\s+(?:crossings|border\s+crossings|posts|of\s+them))?|the\s+two\s+(?:crossings|border\s+crossings|posts|border\s+posts))\b
    |\b(?P<definite>the\s+(?:(?:main|key|strategic|vital|nearby|same|remote|desert|official|border|frontier|iraqi|syrian)\s+){0,2}(?:crossing(?:\s+point)?|border\s+post|border\s+point|border\s+gate|checkpoint|post|frontier\s+post|terminal|gate|border\s+town|frontier\s+town|town|province|governorate)|the\s+town's\s+(?:border\s+)?crossing)\b(?!\s+(?:to|between|of|at|into|near))
    |\b(?P<pronoun>it|which)\b(?!\s+(?:said|says|added|seems|appears|remains\s+unclear|is\s+unclear|was\s+unclear|is\s+not\s+clear|was\s+not\s+clear|would|will|could|may))""",
    re.VERBOSE,
)
AGGREGATE = re.compile(
    r"""\b(?:all|every|each\s+of\s+the|each)\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+){0,2}?(?:border\s+)?(?:crossings?|crossing\s+points?|border\s+posts?|posts?|checkpoints?|border\s+points?|border\s+gates?)
    (?P<scope>(?:\s+(?:between|on|along|with|linking|connecting)\s+(?:the\s+)?[\w\s']{2,40}?)?)(?=\s+(?:are|were|is|was|have|had|has|now|fell|came|remain|remains|remained|lie|lay|stand|stood|belong|under|in|outside|out|to|into|,|\.|$)|\s*[,.;]|\s*$)""",
    re.VERBOSE,
)
_SIDE = re.compile(r"\b(?:the\s+)?(?P<adj>\w+)\s+side\s+of\s+(?:the\s+)?$")
# What may stand between a verb and its first place, or between coordinated places.
_OBJECT_GAP = re.compile(
    r"""^(?:\s|,|'s|\b(?:the|a|an|and|or|as\s+well\s+as|along\s+with|together\s+with|plus|both|also|then|later|too|border|crossing|crossings|point|points|post|posts|checkpoint|checkpoints
    |gate|terminal|main|key|strategic|vital|official|important|nearby|remote|desert|frontier|town|towns|city|district|province|provinces|governorate|area|region|of|at|most|much
    |large|swathes|all|entire|whole|control|over|full|total|iraqi|syrian|side|sides|two|three|other|its|their|crossing\s+point|known\s+as|called|on\s+the|iraq|syria|jordan|turkey|much
    |including|notably|such\s+as|namely|in\s+particular|among\s+them|almost|nearly|virtually|practically|roughly|about|first|second|third|fourth|one|another
    |old|new|former|busy|busiest|closed|reopened|small|major|only|last|remaining|disputed|contested|nearby|twin|historic
    |turkish|jordanian|lebanese|iranian|kuwaiti|saudi|israeli|northern|southern|eastern|western|north|south|east|west|northernmost|southernmost)\b)*$""",
    re.VERBOSE,
)
_BEFORE_GAP = re.compile(
    r"""^(?:\s|,|'s|\b(?:the|a|an|and|or|as\s+well\s+as|border|crossing|crossings|point|points|post|posts|checkpoint|checkpoints|gate|terminal|town|city|district|province|governorate
    |area|region|itself|also|now|then|later|finally|eventually|reportedly|already|too|has|have|had|was|were|is|are|been|being|which|that|on|the\s+iraqi|the\s+syrian|side
    |itself|remains?|remained|still|stayed|stays|stay|kept|once\s+again|again|of|in|near|iraq|syria|jordan|turkey|most|much|parts?|large|swathes|all|entire|whole|both|two|three|other
    |firmly|fully|securely|largely|mostly|effectively|entirely|wholly|partly|now\s+firmly|today)\b)*$""",
    re.VERBOSE,
)
_AGENT_CONNECTOR = re.compile(
    r"^(?:\s|,|'s|\b(?:from|of|in|the|country's|region's|autonomous|led|backed|allied|loyal|to|affiliated|with|linked|belonging|by|under|semi|forces|fighters|group|s)\b)*$"
)
_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|announced|reported|reports|added|stated|confirmed|claimed|declared|quoted|wrote|tweeted|posted)\b(?:\s+\w+){0,3}\s+(?:on\s+|late\s+|early\s+)?$")
_LEAD_DATE = re.compile(r"^\W*(?:(?:late|early)\s+)?(?:on|in|by|since|as\s+of)?\s*$")


@dataclass
class Item:
    """One thing in a sentence, in text order."""

    kind: str  # place | ref | party | generic | country | verb | aggregate | date
    start: int
    end: int
    data: object = None
    sub: str = ""  # verb class, reference kind, ...
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Attribution:
    """A holder found for some places by one rule.

    ``places`` are place items or reference/aggregate items still to resolve; ``agent`` is a party
    or generic item, or ``None`` for a not-government statement.
    """

    rule: str
    verb: Item
    places: tuple[Item, ...]
    agent: Item | None
    status: str = "controls"
    hedged: bool = False
    losers: tuple[Item, ...] = ()


def clauses(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a sentence into clauses at semicolons and contrastive conjunctions."""
    bounds, cursor = [], start
    for match in CLAUSE_BREAK.finditer(folded, start, end):
        bounds.append((cursor, match.start()))
        cursor = match.end()
    bounds.append((cursor, end))
    return [b for b in bounds if b[1] > b[0]]


def _verb_class(match: re.Match) -> str:
    return match.lastgroup


def verbs_in(folded: str, start: int, end: int) -> list[Item]:
    """Verb items of one clause, with their voice and governing cues decided."""
    items = []
    for match in VERB.finditer(folded, start, end):
        sub = _verb_class(match)
        before = folded[max(start, match.start() - 60):match.start()]
        item = Item("verb", match.start(), match.end(), sub=sub)
        after = folded[match.end():match.end() + 40]
        item.extra["passive"] = sub in ("fell", "heldby") or (
            bool(_PARTICIPLE.match(match.group()))
            and (bool(_PASSIVE_AUX.search(before)) or bool(_FOLLOWED_BY_BY.match(after))))
        item.extra["had"] = bool(_HAD.search(before))
        near = _CUE_NEAR.search(before)
        item.extra["negated"] = (bool(near) and not _CUE_NEAR_EXCEPTIONS.search(before)) or (
            sub == "take" and bool(_REPELLED_AFTER.match(folded, match.end())))
        clause_before = folded[start:match.start()]
        # "denied it, saying his men still controlled the post": the denial ends at "saying"
        own = _SAYING.split(clause_before)[-1]
        item.extra["denied"] = bool(_CUE_CLAUSE.search(own))
        item.extra["hedged"] = bool(_HEDGE.search(clause_before))
        items.append(item)
    return items


def _gap(folded: str, a: int, b: int) -> str:
    return folded[a:b] if b >= a else ""


def _is_party(item: Item) -> bool:
    return item.kind in ("party", "generic")


def _is_place(item: Item) -> bool:
    return item.kind in ("place", "ref", "aggregate")


def merge_party_phrases(items: list[Item], folded: str) -> list[Item]:
    """Join "security forces from the country's autonomous Kurdish region" into one party item.

    A generic term followed by a named party through connectors takes the named party, which is
    how the seed's Kurdish forces are told from Iraqi ones.
    """
    merged: list[Item] = []
    for item in items:
        # "rebel fighters from the Nusra Front": an adjective ("rebel", "Kurdish") qualifies the noun after it
        if merged and merged[-1].kind == "adjparty" and _is_party(item) \
                and not _gap(folded, merged[-1].end, item.start).strip():
            merged[-1] = Item(item.kind, merged[-1].start, item.end, item.data, item.sub, dict(item.extra))
            continue
        if merged and _is_party(item) and _is_party(merged[-1]) \
                and "generic" in (item.kind, merged[-1].kind) \
                and _AGENT_CONNECTOR.match(_gap(folded, merged[-1].end, item.start)) \
                and " and " not in _gap(folded, merged[-1].end, item.start):
            previous = merged[-1]
            keep = item if item.kind == "party" or previous.kind == "generic" else previous
            merged[-1] = Item(keep.kind, previous.start, item.end, keep.data, keep.sub, dict(keep.extra))
            continue
        merged.append(item)
    return merged


_PARTIAL = re.compile(r"\b(?:(?:large|small|some|several|many|other)\s+)?(?:parts?|pockets|areas|corners|enclaves|villages|towns)"
                      r"\s+(?:of|in)\s+(?:the\s+)?$")


def _without_dates(items: list[Item], folded: str, start: int, end: int) -> str:
    """The text between two offsets with date phrases blanked ("took P on June 21 and Q")."""
    gap = _blank(folded, start, end, items, "date")
    return re.sub(r"\b(?:on|in|late|early)\s+(?=\s*(?:and|,|$))", " ", gap)


def _first_object(items: list[Item], index: int, folded: str, allow_party: bool) -> list[Item]:
    """Places governed by the verb at ``items[index]``: the first one and those coordinated with it."""
    verb = items[index]
    objects: list[Item] = []
    cursor = verb.end
    in_part = False
    for item in items[index + 1:]:
        if item.kind == "verb":
            break
        if _is_party(item):
            if allow_party and not objects:
                cursor = item.end
                continue
            break
        if item.kind in ("country", "date"):
            continue
        if not _is_place(item):
            continue
        gap = _without_dates(items, folded, cursor, item.start)
        if allow_party and not objects:
            gap = re.sub(r"^\s*(?:out\s+of|from|away\s+from|of)\s", " ", gap)
        partial = _PARTIAL.search(gap)
        if partial:
            gap = gap[:partial.start()]
            in_part = True
        elif re.search(r"\b(?:as\s+well\s+as|the|plus|along\s+with)\b", gap):
            in_part = False
        if not _OBJECT_GAP.match(gap):
            break
        if not in_part:  # "holds parts of Daraa province as well as the crossing": not the province
            objects.append(item)
        cursor = item.end
    return objects


def _expelled_from(items: list[Item], index: int, folded: str) -> list[Item]:
    """Places after "out of"/"from" in "drove the Nusra Front and allied brigades out of P"."""
    verb = items[index]
    found = re.compile(r"\b(?:out\s+of|from)\s+").search(folded, verb.end, verb.end + 80)
    if found is None:
        return []
    marker = Item("verb", found.start(), found.end() - 1, sub="expel")
    rest = [i for i in items if i.start >= found.end() - 1]
    return _first_object([marker] + rest, 0, folded, allow_party=False)


# A relative clause or apposition between a place and its verb ("Rabia, which the Peshmerga had
# held since 2014, was handed to ..."; "Jarabulus, the last ISIL-held crossing, fell to ..."):
# what it names is not the verb's subject.
_PARENTHETICAL = re.compile(
    r""",\s*(?:which|who|whose|where|once|long|under|in|having|after|before|since|until|held|run|controlled|seized|captured|taken
    |the|a|an|then|formerly|previously)\b[^,;]{1,100},\s*(?:(?:has|have|had|was|were|is|are|also|now|since|been|itself|finally|later)\s+)*$""",
    re.VERBOSE,
)
# A subordinate clause between commas ("..., hours after federal troops abandoned their posts, and
# have held ..."): its subject is not the main verb's agent.
_SUBORDINATE = re.compile(
    r",\s*(?:\w+\s+){0,2}?(?:after|before|when|as|while|since|until|once|whereas|although|though)\s[^,;]{1,100},")


def _parenthetical_before(folded: str, position: int) -> tuple[int, int] | None:
    found = _PARENTHETICAL.search(folded, max(0, position - 170), position)
    return (found.start(), position) if found else None


def _patients_before(items: list[Item], index: int, folded: str) -> list[Item]:
    """Places a passive verb speaks of: the nearest before it and those coordinated with it."""
    verb = items[index]
    patients: list[Item] = []
    cursor = verb.start
    skipped = _parenthetical_before(folded, verb.start)
    if skipped and any(i.kind in ("place", "ref") and i.end <= skipped[0] for i in items[:index]):
        items = [i for i in items[:index] if not skipped[0] <= i.start < skipped[1]] + [verb]
        index = len(items) - 1
        cursor = skipped[0]
    def negated_verb(position: int) -> bool:
        return position >= 0 and items[position].kind == "verb" and bool(
            items[position].extra.get("negated") or items[position].extra.get("denied"))

    for position in range(index - 1, -1, -1):
        item = items[position]
        # "has not fallen to militants and remains in the hands of ...": step over the denied part
        if negated_verb(position) or (_is_party(item) and negated_verb(position - 1)):
            cursor = item.start
            continue
        if item.kind in ("verb", "party", "generic"):
            break
        if item.kind in ("date", "country"):
            continue
        gap = re.sub(r"\b(?:not|never|no\s+longer|yet)\s*$", " ", _gap(folded, item.end, cursor))
        if not patients:  # an apposition or a route ("on the Beirut-Damascus highway") between
            gap = re.sub(r",[^,]{1,60},|\b(?:on|along|near|at|off)\s+the\s+[\w\s]{1,30}?\s(?:highway|road|route|river)\b",
                         " ", gap)
        if not _BEFORE_GAP.match(gap) and not (patients == [] and len(gap.split()) <= 6 and "," not in gap):
            break
        patients.insert(0, item)
        cursor = item.start
        if item.kind == "ref":
            break  # "Of Trebil and al-Waleed, the former is ...": the reference is the whole subject
    if len(patients) > 1 and re.search(r"\b(?:in|of)\s+(?:the\s+)?$", _gap(folded, patients[-2].end, patients[-1].start)):
        patients.pop()  # "Haji Omaran in Erbil province, is controlled by": Erbil only locates it
    return patients


def _agent_before(items: list[Item], index: int, folded: str) -> Item | None:
    """The nearest party before a verb that is not a loser ("drove X out of", "from X")."""
    verb = items[index]
    inside = [m.span() for m in _SUBORDINATE.finditer(folded, max(0, verb.start - 250), verb.start)]
    for item in reversed(items[:index]):
        if any(a < item.start < b for a, b in inside):
            continue  # "..., hours after federal troops abandoned their posts, and have held ..."
        if _is_party(item) and not item.extra.get("loser") \
                and not re.search(r"\bfrom\s+(?:the\s+)?$", folded[max(0, item.start - 12):item.start]):
            return item
    return None


def _losers_after(items: list[Item], index: int, folded: str) -> tuple[Item, ...]:
    """Parties a verb takes something from ("retook P from ISIL", "drove ISIL out of P")."""
    verb = items[index]
    losers = []
    for item in items[index + 1:]:
        if item.kind == "verb":
            break
        if _is_party(item) and (item.extra.get("loser") or re.search(
                r"\bfrom\s+(?:the\s+)?$", folded[max(verb.end, item.start - 12):item.start])):
            losers.append(item)
    return tuple(losers)


def _agent_after(items: list[Item], index: int, folded: str, pattern: re.Pattern) -> Item | None:
    """The party after a passive verb ("by PARTY", "to PARTY"), passing over "from LOSER"."""
    verb = items[index]
    cursor = verb.end
    for item in items[index + 1:]:
        if item.kind == "verb":
            return None
        if _is_party(item):
            # "handed over to Iraqi federal troops": the country qualifies the party
            gap = _blank(folded, cursor, item.start, items[index + 1:], "country")
            if pattern.match(gap):
                return item
            if re.search(r"\bfrom\s+(?:the\s+)?$", _gap(folded, cursor, item.start)):
                cursor = item.end  # "taken from the Islamic State by rebels": the loser, not the holder
                continue
            return None
    return None


def _agent_after_place(items: list[Item], after: int, folded: str, word: str) -> Item | None:
    """The party in a trailing "... to PARTY" / "... by PARTY" after ``after``."""
    pattern = re.compile(rf"^[\s,]*(?:.{{0,40}}?\s)?{word}\s+(?:the\s+)?$")
    for item in items:
        if item.start < after or item.kind == "verb":
            if item.kind == "verb" and item.start >= after:
                return None
            continue
        if _is_party(item):
            return item if pattern.match(_gap(folded, after, item.start)) else None
    return None


def _framed(items: list[Item], folded: str) -> list[Attribution]:
    """``under PARTY control``, ``in PARTY hands`` and ``PARTY-held PLACE``."""
    found = []
    for index, item in enumerate(items):
        if not (_is_party(item) or item.kind == "adjparty"):
            continue
        before = folded[max(0, item.start - 30):item.start]
        after = folded[item.end:item.end + 30]
        frame = None
        if re.search(r"\bunder\s+(?:the\s+)?(?:full\s+|firm\s+|total\s+)?$", before) and re.match(r"\s*(?:'s\s+)?control\b", after):
            frame = "under"
        elif re.search(r"\bin\s+(?:the\s+)?$", before) and re.match(r"\s*(?:'s\s+)?hands\b", after):
            frame = "hands"
        elif re.match(r"\s*(?:held|controlled|run|dominated)\b", after):
            frame = "held"
        if frame is None:
            continue
        if frame == "held":
            verb = Item("verb", item.end, item.end + len(re.match(r"\s*\w+", after).group()), sub="held")
            rest = [i for i in items[index + 1:] if not (i.kind == "verb" and i.start < verb.end)]
            objects = _first_object(items[:index + 1] + [verb] + rest, index + 1, folded, False)
            if objects:
                found.append(Attribution("adjective-held", verb, tuple(objects), item))
            continue
        verb = Item("verb", item.start, item.end, sub=frame)
        # "Al-Tanf, under coalition control, ...": the place is read back from "under"/"in", not the party
        word = re.search(r"\b(?:under|in)\s+(?:the\s+)?(?:full\s+|firm\s+|total\s+)?$", before)
        frame_start = item.start - len(before) + word.start() if word else item.start
        patients = _patients_before(items[:index] + [Item("verb", frame_start, item.end, sub=frame)], index, folded)
        if patients:
            negated = bool(_CUE_NEAR.search(folded[max(0, item.start - 60):item.start - len(before.split()[-1]) - 1]))
            if not negated:
                found.append(Attribution("under-control", verb, tuple(patients), item))
    return found


_THEIR_CONTROL = re.compile(r"\b(?:under\s+(?:their|its)\s+(?:full\s+|firm\s+)?control|in\s+(?:their|its)\s+hands)\b")


def _possessive_frames(items: list[Item], folded: str, context: list[Item]) -> list[Attribution]:
    """"under their control": the holder is the party named last before the place (in ``context``)."""
    found = []
    if not items:
        return found
    for match in _THEIR_CONTROL.finditer(folded, items[0].start, items[-1].end + 60):
        verb = Item("verb", match.start(), match.end(), sub="under")
        position = sum(1 for i in items if i.start < match.start())
        patients = _patients_before(items[:position] + [verb], position, folded)
        parties = [i for i in context if _is_party(i) and i.start < match.start()
                   and (not patients or i.start < patients[0].start)]
        if patients and parties and not _CUE_NEAR.search(folded[max(0, match.start() - 40):match.start()]):
            found.append(Attribution("under-control", verb, tuple(patients), parties[-1]))
    return found


def attributions(items: list[Item], folded: str, context: list[Item] | None = None) -> list[Attribution]:
    """Apply the rules to one clause's items (text order) and return who holds which places.

    ``context`` holds the items of the whole sentence, for "their" in a later clause.
    """
    items = merge_party_phrases(items, folded)
    found: list[Attribution] = _framed(items, folded)
    found += _possessive_frames(items, folded, merge_party_phrases(context or items, folded))
    respectively = bool(items) and "respectively" in folded[items[0].start:items[-1].end + 40]
    last_passive: list[Item] = []
    framed_parties = {a.agent.start for a in found if a.agent is not None}
    for index, verb in enumerate(items):
        if verb.kind != "verb":
            continue
        sub = verb.sub
        if verb.extra.get("negated") or verb.extra.get("denied"):
            _consume(items, index, folded)
            continue
        hedged = verb.extra.get("hedged", False)
        if sub == "notgov":
            patients = _patients_before(items, index, folded)
            if patients:
                found.append(Attribution("not-government", verb, tuple(patients), None, "not-government", hedged))
            continue
        if sub == "withdraw":
            places = _first_object(items, index, folded, allow_party=False)
            holder = None
            if places:  # "lost the crossing to ISIL": the winner is named, whoever lost it
                holder = _agent_after_place(items, places[-1].end, folded, "(?:by|to)")
            loser = next((i for i in reversed(items[:index]) if _is_party(i) or i.kind == "country"), None)
            if places and holder is None and re.match(r"lost|lose", folded[verb.start:verb.end]) and loser is not None \
                    and (loser.kind == "country" or (loser.kind == "generic" and loser.data == "state")):
                found.append(Attribution("lost-control", verb, tuple(places), None, "not-government", hedged))
                continue
            if places and holder is not None:
                found.append(Attribution("withdraw-to", verb, tuple(places), holder, hedged=hedged))
            for place in places:
                place.extra["vacated"] = True
            continue
        if sub == "nominal":
            places = _first_object(items, index, folded, allow_party=False)
            holder = _agent_after_place(items, places[-1].end, folded, "(?:to|by)") if places else None
            if holder is not None:
                found.append(Attribution("nominal", verb, tuple(places), holder, hedged=hedged))
            continue
        if sub == "handover":
            places = _first_object(items, index, folded, allow_party=False)
            if places:
                holder = _agent_after_place(items, places[-1].end, folded, "to")
                if holder is not None:
                    found.append(Attribution("handover", verb, tuple(places), holder, hedged=hedged))
            continue
        if sub in ("hold", "heldby") and verb.extra.get("had"):
            _consume(items, index, folded)  # "which ISIL had held" describes a past that ended
            continue
        if verb.extra.get("passive"):
            pattern = _BY if sub not in ("fell", "heldby") else _TO_OR_UNDER
            agent = _agent_after(items, index, folded, pattern)
            patients = _patients_before(items, index, folded)
            if not patients and re.search(r"\b(?:and|then|but)\s+(?:was\s+|were\s+|later\s+)*$",
                                          folded[max(0, verb.start - 20):verb.start]):
                patients = last_passive  # "was seized by A in 2014 and recaptured by B in 2017"
            if patients:
                last_passive = patients
            if agent is not None and patients and agent.start not in framed_parties:
                found.extend(Attribution(f"passive-{sub}", verb, tuple(patients), party, hedged=hedged)
                             for party in _coordinated_after(items, agent, folded))
                # "captured by A in June 2015 and by B in October 2019": B is a later event, dated from its "by"
                for later_verb, party in _later_agents(items, agent, folded):
                    found.append(Attribution(f"passive-{sub}", later_verb, tuple(patients), party, hedged=hedged))
            continue
        if sub == "expel":
            for item in items[index + 1:]:
                if item.kind == "verb" or _is_place(item):
                    break
                if _is_party(item):
                    item.extra["loser"] = True  # "drove the Nusra Front ... out of P"
            objects = _expelled_from(items, index, folded)
            if not objects and folded[verb.start:verb.start + 5] == "clear":
                objects = _first_object(items, index, folded, allow_party=False)
        else:
            objects = _first_object(items, index, folded, allow_party=False)
        if not objects and sub == "hold" and context and _BARE_CONTROL.search(folded, max(0, verb.start - 30), verb.end + 8):
            objects = _elided_object(context, verb)  # "failed to seize P, adding that the Peshmerga remained in full control"
        if not objects:
            objects = [p for p in items[:index] if _is_place(p) and p.extra.get("vacated")][-1:]
            if sub not in ("take", "retake") or not re.match(r"\s*$", folded[verb.end:verb.end + 1] or " "):
                objects = objects if sub in ("take", "retake") and "over" in folded[verb.start:verb.end] else []
        if not objects:
            continue
        by_agent = _agent_after_place(items, objects[-1].end, folded, "by")
        agent = by_agent or _agent_before(items, index, folded)
        if agent is None and context and re.search(r"\b(?:but|yet)\s+(?:(?:then|later|soon|quickly|eventually)\s+)?$",
                                                   folded[max(0, verb.start - 25):verb.start]):
            agent = _elided_subject(context, verb, folded)  # "X lost P to Y but won it back": X
        if agent is None or agent.start in framed_parties:
            continue
        losers = _losers_after(items, index, folded)
        agents = _coordinated_parties(items, agent, folded) if by_agent is None and agent in items else [agent]
        if agent.kind == "generic" and any(a.kind == "party" for a in agents) and not respectively:
            agent = [a for a in agents if a.kind == "party"][-1]  # "Turkish troops and allied rebels"
        if respectively and len(agents) == len(objects) > 1:
            found.extend(Attribution(f"active-{sub}", verb, (place,), party, hedged=hedged, losers=losers)
                         for place, party in zip(objects, agents))
            continue
        if not respectively and len(agents) > 1 and all(a.kind == "party" for a in agents):
            # "Peshmerga and Iraqi army units jointly man P": each named party holds it
            found.extend(Attribution(f"active-{sub}", verb, tuple(objects), party, hedged=hedged, losers=losers)
                         for party in agents)
            continue
        found.append(Attribution(f"active-{sub}", verb, tuple(objects), agent, hedged=hedged, losers=losers))
    return found


_BARE_CONTROL = re.compile(r"\b(?:remain(?:ed|s)?|stay(?:ed|s)?|(?:is|are|was|were)\s+still|still)\s+(?:firmly\s+)?in\s+(?:full\s+|firm\s+|total\s+|complete\s+)?control\b(?!\s+(?:of|over)\b)")


def _elided_object(context: list[Item], verb: Item) -> list[Item]:
    """The place a bare "remained in control" speaks of: the sentence's last place before it."""
    places = [i for i in context if i.kind in ("place", "ref") and i.end <= verb.start]
    if not places:
        return []
    last = places[-1]
    return [Item(last.kind, last.start, last.end, last.data, last.sub, {k: v for k, v in last.extra.items() if k != "negated"})]


def _elided_subject(context: list[Item], verb: Item, folded: str) -> Item | None:
    """The subject a second clause leaves out: the sentence's first party not after a preposition.

    "Government troops lost P to ISIL but won it back": the troops won it back.
    """
    for item in merge_party_phrases(context, folded):
        if item.start >= verb.start:
            return None
        if _is_party(item) and not re.search(r"\b(?:to|by|from|of|with|against|for|under|in)\s+(?:the\s+)?$",
                                            folded[max(0, item.start - 12):item.start]):
            return item
    return None


def _coordinated_parties(items: list[Item], last: Item, folded: str) -> list[Item]:
    """``last`` and the parties joined to it before ("ISIL and the Peshmerga hold ...")."""
    parties = [last]
    position = items.index(last)
    for item in reversed(items[:position]):
        if item.kind == "country":
            continue  # "Turkish troops and allied Syrian fighters": the adjective qualifies the noun
        if _is_party(item) and re.match(r"^(?:\s|,|\band\b|\bthe\b|\ballied\b|\bits\b|\btheir\b)*$",
                                        _blank(folded, item.end, parties[0].start, items, "country")):
            parties.insert(0, item)
        else:
            break
    return parties


def _coordinated_after(items: list[Item], first: Item, folded: str) -> list[Item]:
    """``first`` and the parties joined to it after ("retaken by Iraqi troops and paramilitary units")."""
    parties = [first]
    for item in items[items.index(first) + 1:]:
        if item.kind == "country":
            continue
        if not (_is_party(item) and re.match(r"^(?:\s|,|\band\b|\bthe\b|\ballied\b|\bas\s+well\s+as\b|\balong\s+with\b)*$",
                                             _blank(folded, parties[-1].end, item.start, items, "country"))
                and re.search(r"\band\b|\bas\s+well\s+as\b|\balong\s+with\b", folded[parties[-1].end:item.start])):
            break
        parties.append(item)
    return parties


_LATER_AGENT = re.compile(r"^[\s,]*(?:(?:led|backed|allied|forces|fighters|troops|units)\s+){0,2}[\s,]*and\s+(?:(?:later|then|again|afterwards|subsequently|finally)\s+)?(?:by|to)\s+(?:the\s+)?$")


def _later_agents(items: list[Item], first: Item, folded: str) -> list[tuple[Item, Item]]:
    """Parties after ``first`` in "... by A in 2015 and (then) by B" / "to A ... and then to B"."""
    found, previous = [], first
    for item in items[items.index(first) + 1:]:
        if item.kind == "verb":
            break
        if not _is_party(item):
            continue
        gap = _without_dates(items, folded, previous.end, item.start)
        gap = re.sub(r"\b(?:\w+\s+(?:years?|months?|weeks?|days?)\s+later|later)\s*(?=,?\s*and\b)", " ", gap)
        if _LATER_AGENT.match(gap):
            word = folded.rindex(" by " if " by " in gap else " to ", previous.end, item.start) + 1
            found.append((Item("verb", word, word + 2, sub="later"), item))
        previous = item
    return found


def _blank(folded: str, start: int, end: int, items: list[Item], kind: str) -> str:
    """``folded[start:end]`` with the text of the items of ``kind`` inside it blanked out (same length)."""
    gap = folded[start:end] if end >= start else ""
    for item in items:
        if item.kind == kind and start <= item.start and item.end <= end:
            gap = gap[:item.start - start] + " " * (item.end - item.start) + gap[item.end - start:]
    return gap


def _consume(items: list[Item], index: int, folded: str) -> None:
    """Mark the places of a dropped verb so no later rule reads them as its objects."""
    for place in _first_object(items, index, folded, allow_party=items[index].sub == "expel"):
        place.extra["negated"] = True


def side_before(folded: str, start: int, adjectives: dict[str, str]) -> str | None:
    """The country of "the Syrian side of" written just before a place name, if any."""
    found = _SIDE.search(folded, max(0, start - 40), start)
    if found:
        return adjectives.get(found.group("adj"))
    return None
