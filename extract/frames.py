"""Control events read off a dependency parse: predicates, frames and cues are rows in ``extract/data/`` (pure).

A *frame* row names a predicate class, a voice, and dependency paths to its slots: who holds
(``agent``) and what is held (``patient``). A path is a chain of steps separated by ``>``: a step
``dep`` (or ``dep1/dep2``) moves to the children with that dependency label, ``dep:lemma1/lemma2``
keeps only those lemmas, ``^`` moves to the head (``^:under`` only if its lemma is "under"), ``@dep``
keeps the tokens that hang off their head by ``dep`` (``@attr>^:be``: "is X's stronghold"). Several
paths are separated by ``;`` and tried in order; the first that reaches something wins. Adding a
construction means adding a row (and a case in ``tests/data/extract_cases.jsonl``).

This module knows nothing of places or parties: it returns :class:`Event` objects whose slots are
character spans of the sentence; :mod:`extract.resolve` maps them to the report's places and parties.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from extract.dates import NUMBER_WORDS

_CLAUSAL = {"acl", "relcl", "advcl", "appos", "ccomp", "parataxis", "conj", "cc", "punct"}
_RELATIVE = {"which", "that", "who", "whom"}
_HOLDING_VERBS = {"hold", "control", "run", "man", "manage", "administer", "keep", "retain", "maintain"}
_DIRECTIONS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "north-east",
               "north-west", "south-east", "south-west"}
_ACHIEVED = {"manage", "succeed", "help", "go", "come"}  # "managed to take P" took it
_FORCE_NOUNS = {"force", "troop", "fighter", "unit", "soldier", "militant", "rebel", "militiaman", "jihadist"}


@dataclass(frozen=True)
class Frame:
    """One construction: the predicate class it fires on, the voice it needs and how to reach its slots."""

    name: str
    klass: str
    voice: str  # active | passive | participle | modifier | any | noun
    requires: tuple[tuple[str, ...], ...]
    agent: tuple[tuple[str, ...], ...]
    patient: tuple[tuple[str, ...], ...]
    holding: bool


@dataclass(frozen=True)
class Slot:
    """A phrase filling a frame slot: the head token's span and the phrase around it (text offsets)."""

    head: tuple[int, int]
    phrase: tuple[int, int]
    parts: tuple[tuple[int, int], ...]  # the phrase's own tokens' spans (clauses inside it left out)
    lemma: str
    relative: bool = False  # a relative pronoun standing for the noun before it
    wide: tuple[int, int] = (0, 0)  # the head's whole subtree ("a post along the border with Syria")
    # phrases that name what the head describes: its apposition ("the third, the al-Qaim crossing")
    # and an "at" phrase ("the northernmost crossing at al-Yaroubia")
    naming: tuple[tuple[int, int], ...] = ()


@dataclass
class Event:
    """A control predicate with its slots filled from the tree."""

    frame: Frame
    trigger: tuple[int, int]
    agents: list[Slot]
    patients: list[Slot]
    asserted: bool = True
    why_not: str = ""
    domain: list[tuple[int, int]] = field(default_factory=list)  # token spans whose nearest predicate is this one
    inherited_agent: bool = False
    trigger_index: int = -1
    around: list[list[tuple[int, int]]] = field(default_factory=list)  # domains of the verbs around, nearest first
    # "a day after the group seized P": the clause's own day is the governing verb's, shifted by this many days
    anchor: list[tuple[int, int]] = field(default_factory=list)
    shift_days: int = 0
    # "declared yesterday that P has been liberated", "announced on Thursday the liberation of P": the
    # reporting verb's own tokens, whose day is the event's when the clause or noun gives none
    reported: list[tuple[int, int]] = field(default_factory=list)
    since: tuple[int, int] | None = None  # "had held P since government forces withdrew in May 2015"
    # "the Defence Ministry said P was brought under control": who reports the event, when it is
    # their own gain (an announcement, or a recovery verb); None otherwise
    claimant: Slot | None = None
    # "tried to drive ISIL out of P": whom an expulsion is aimed at holds P until it succeeds
    expelled: list[Slot] = field(default_factory=list)


def _rows(name: str) -> list[dict]:
    return list(csv.DictReader(files("extract").joinpath("data", name).read_text(encoding="utf-8").splitlines()))


# Predicates that only count with "control of" after them: the word "control" picks their sentences.
_ONLY_WITH_CONTROL = {"have", "come", "keep", "maintain", "assume", "establish", "gain", "give", "gave", "given", "came",
                      "kept", "turn"}


def _stem(lemma: str) -> str:
    return lemma[:-1] if lemma.endswith("e") and len(lemma) >= 4 else lemma


def _cue_words() -> re.Pattern:
    """Any word form a predicate of the tables may take: a lemma's first letters, or a listed form."""
    stems = sorted({_stem(r["lemma"].lower()) for r in _rows("predicates.csv")
                    if r["lemma"] not in _ONLY_WITH_CONTROL}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")")


def _paths(cell: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(step.strip() for step in path.split(">")) for path in cell.split(";") if path.strip())


@lru_cache(maxsize=1)
def tables() -> tuple[dict, list[Frame], dict]:
    """(predicates by (lemma, pos), frames, cues by word) read once from the package's data files."""
    predicates = {(r["lemma"], r["pos"]): r["class"] for r in _rows("predicates.csv")}
    frames = [Frame(r["name"], r["class"], r["voice"], _paths(r["requires"]), _paths(r["agent"]),
                    _paths(r["patient"]), r["holding"] == "yes") for r in _rows("frames.csv")]
    cues = {r["word"]: r["cue"] for r in _rows("cues.csv")}
    return predicates, frames, cues


CUE_WORDS = _cue_words()


def _step(tokens, step: str):
    if step.startswith("@"):
        return [t for t in tokens if t.dep_ in step[1:].split("/")]
    if step.startswith("^"):
        carets, _, lemmas = step.partition(":")
        wanted = set(lemmas.split("/")) if lemmas else None
        for _ in carets:
            tokens = [t.head for t in tokens if t.head.i != t.i]
        return [t for t in tokens if wanted is None or t.lemma_.lower() in wanted]
    deps, _, lemmas = step.partition(":")
    deps, wanted = set(deps.split("/")), set(lemmas.split("/")) if lemmas else None
    return [c for t in tokens for c in t.children
            if c.dep_ in deps and (wanted is None or c.lemma_.lower() in wanted or c.lower_ in wanted)]


def follow(token, path: tuple[str, ...]) -> list:
    """Tokens other than ``token`` reached from it along one path (see the module docstring)."""
    found = [token]
    for step in path:
        found = _step(found, step)
        if not found:
            return []
    if path[-1].startswith("@"):
        return found  # a test of the token's own attachment
    return [t for t in found if t.i != token.i]  # "X's stronghold is P": a slot is never the trigger itself


def _first(token, paths) -> list:
    for path in paths:
        found = follow(token, path)
        if found:
            return found
    return []


def _voice(token) -> str:
    deps = {c.dep_ for c in token.children}
    if token.pos_ == "NOUN" or token.pos_ == "PROPN":
        return "noun"
    if token.tag_ == "VBN" and token.dep_ in ("acl", "relcl") and not deps & {"nsubj", "nsubjpass", "auxpass"}:
        return "participle"
    if "auxpass" in deps or "nsubjpass" in deps or ("agent" in deps and token.tag_ == "VBN"):
        return "passive"
    if token.dep_ == "amod" or (token.dep_ == "compound" and token.tag_ == "VBN"):
        return "modifier"
    return "active"


def _with_conjuncts(tokens) -> list:
    """The tokens and what is coordinated with them. "the Turaibil crossing with Jordan and the
    al-Walid crossing with Syria": the parser hangs the second crossing on "Jordan"; a conjunct
    inside a noun's own prepositional phrase with the noun's own head word is the noun's conjunct."""
    out, seen = [], set()
    for token in tokens:
        misplaced = [c for prep in token.children if prep.dep_ == "prep" for obj in prep.children
                     if obj.dep_ == "pobj" for c in obj.conjuncts if c.lemma_ == token.lemma_ and c.i > token.i]
        for t in [token, *(c for c in token.conjuncts if c.i > token.i), *misplaced]:
            if t.i not in seen:
                seen.add(t.i)
                out.append(t)
    return out


def slot(token, offset: int = 0) -> Slot:
    """The phrase a token heads, without the clauses and appositions hanging off it."""
    parts = []
    stack = [token]
    while stack:
        current = stack.pop()
        parts.append(current)
        for child in current.children:
            if child.dep_ in _CLAUSAL and (current.i == token.i or child.dep_ not in ("conj", "cc")):
                continue
            if (child.dep_ == "prep" and child.lower_ != "of") or _is_locating(child):
                continue  # "the crossing near / south of Deir ez-Zor": the landmark is not the place
            stack.append(child)
    parts.sort(key=lambda t: t.i)
    spans = tuple(_span(t, offset) for t in parts)
    relative = token.lower_ in _RELATIVE and token.tag_ in ("WDT", "WP", "IN")
    wide = _subtree_span(token, offset)
    naming = [c for c in token.children if c.dep_ == "appos"]
    naming += [o for c in token.children if c.dep_ == "prep" and c.lower_ == "at" for o in c.children if o.dep_ == "pobj"]
    # "the crossing, known in Jordan as Al-Ramtha", "the crossing called al-Waleed"
    naming += [o for c in token.children if c.dep_ == "acl" and c.lemma_.lower() in ("know", "call", "name")
               for o in (*follow(c, ("prep:as", "pobj")), *follow(c, ("oprd",)))]
    return Slot(_span(token, offset), (spans[0][0], spans[-1][1]), spans, token.lemma_.lower(), relative, wide,
                tuple(_subtree_span(n, offset) for n in naming))


def wide_slot(token, offset: int = 0) -> Slot:
    """The whole subtree of a token ("militants led by ISIL", "the crossing known as al-Waleed")."""
    tokens = sorted(token.subtree, key=lambda t: t.i)
    spans = tuple(_span(t, offset) for t in tokens)
    return Slot(_span(token, offset), (spans[0][0], spans[-1][1]), spans, token.lemma_.lower(),
                wide=(spans[0][0], spans[-1][1]))


def _subtree_span(token, offset: int) -> tuple[int, int]:
    """Text offsets of everything a token governs (a projective parse: one stretch of text)."""
    return token.left_edge.idx + offset, _span(token.right_edge, offset)[1]


def _span(token, offset: int) -> tuple[int, int]:
    return token.idx + offset, token.idx + offset + len(token)


def antecedent(token):
    """What a relative pronoun stands for: the noun its clause hangs off ("the town, which ..."), or
    the place a landmark locates ("the crossing south of Deir ez-Zor, which is held by X": the
    clause is about the crossing the report is describing, not the landmark)."""
    current = token
    while current.head.i != current.i:
        if current.dep_ == "relcl":
            return _located(current.head)
        current = current.head
    return None


def _located(noun):
    """The noun a landmark phrase locates ("the crossing [south of] Deir ez-Zor"), else the noun itself."""
    prep = noun.head
    if noun.dep_ == "pobj" and prep.dep_ == "prep" and _is_locating(prep.head) and prep.head.head.pos_ in ("NOUN", "PROPN"):
        return prep.head.head
    return noun


def _is_locating(token) -> bool:
    """"south (of)", "north-east (of)": a word placing something relative to a landmark."""
    return token.dep_ in ("advmod", "npadvmod", "amod") and token.lemma_.lower() in _DIRECTIONS


def _is_clause(token) -> bool:
    """A verb reached by a path ("^^" from "under" to "remains"): not a phrase that names anything."""
    return token.pos_ in ("VERB", "AUX") and token.dep_ not in ("pobj", "dobj", "nsubj", "nsubjpass", "attr", "conj",
                                                                 "appos", "compound")


def _for_relative(token, trigger=None):
    """What a slot's token stands for: a relative pronoun for the noun its clause hangs off, "the
    only one" after a copula for the copula's subject ("P is the only one held by X"), "it" doing
    something for the subject of the verb reporting it ("the army said it took P")."""
    if token.lower_ in _RELATIVE and token.tag_ in ("WDT", "WP"):
        return antecedent(token) or token
    if token.dep_ == "attr" and (trigger is None or token.is_ancestor(trigger)):
        subjects = [c for c in token.head.children if c.dep_ == "nsubj"]
        return subjects[0] if subjects else token
    if token.lower_ in ("its", "their") and token.dep_ == "poss":
        # "YPG fighters, with allied FSA units, completed their capture of P": the subject of the
        # verb governing the nominal, not the party named last
        current = token.head
        for _ in range(3):
            if current.head.i == current.i:
                break
            current = current.head
            if current.pos_ in ("VERB", "AUX"):
                subjects = [c for c in current.children if c.dep_ == "nsubj" and c.pos_ != "PRON"
                            and not c.is_ancestor(token)]  # "its last stronghold is P": not itself
                return subjects[0] if subjects else token
        return token
    if token.lower_ in ("it", "they") and token.dep_ == "nsubj":
        current = token.head
        while current.dep_ in ("ccomp", "conj") and current.head.i != current.i:
            current = current.head
            subjects = [c for c in current.children if c.dep_ == "nsubj" and c.pos_ != "PRON"]
            if subjects:
                return subjects[0]
    return token


def _subject_of_governor(token):
    """The subject an elided clause shares: "seized A and took B", "managed to take B"."""
    current = token
    for _ in range(4):
        if current.dep_ not in ("conj", "xcomp", "advcl") or current.head.i == current.i:
            return None
        current = current.head
        subjects = [c for c in current.children if c.dep_ == "nsubj"]
        if subjects:
            return subjects[0]
    return None


def _assertion(token, cues: dict) -> str:
    """Why a predicate is not asserted ("", "negated", "attempt", "modal", "denial", "condition", "repelled")."""
    for child in token.children:
        if child.dep_ == "neg":
            return "negated"
        if token.lemma_.lower() == "keep" and any(
                cues.get(t.lemma_.lower()) == "closure" for t in (child, *child.children) if t.i > token.i):
            return "closure"  # "Turkey kept its gate closed", "kept their post shut", "kept its border sealed"
        if child.dep_ == "aux" and child.lower_ == "had" and token.lemma_.lower() in _HOLDING_VERBS:
            return "earlier"  # "which the YPG had held since 2013": an earlier holder, not the present one
        if child.dep_ == "aux" and child.lower_ == "to" and token.head.lemma_.lower() not in _ACHIEVED:
            return "infinitive"  # "expected to fall", "the push to take P": not (yet) done
        if child.dep_ == "aux" and cues.get(child.lemma_.lower()) == "modal":
            return "modal"
        if child.dep_ == "mark" and cues.get(child.lower_) == "condition":
            return "condition"
        if child.dep_ in ("conj", "advcl") and cues.get(child.lemma_.lower()) == "repelled":
            return "repelled"
        if child.dep_ in ("conj", "advcl") and child.lemma_.lower() == "push" and any(
                g.lower_ == "back" for g in child.children):
            return "repelled"
    current = token
    for _ in range(6):
        head = current.head
        if head.i == current.i:
            break
        cue = cues.get(head.lemma_.lower())
        if current.dep_ in ("xcomp", "acl") and cue == "attempt":
            return "attempt"
        if cue == "denial":
            return "denial"  # "denied reports that P had been handed to X": all it governs
        if current.dep_ in ("xcomp", "ccomp") and any(c.dep_ == "neg" for c in head.children):
            return "negated"
        if current.dep_ not in ("xcomp", "ccomp", "conj", "acl", "advcl", "relcl", "pobj", "prep", "dobj"):
            break
        current = head
    return ""


def _is_predicate(token, predicates: dict) -> str | None:
    lemma = token.lemma_.lower()
    if token.pos_ in ("VERB", "AUX") or token.tag_.startswith("VB"):
        return predicates.get((lemma, "verb")) or predicates.get((token.lower_, "verb"))
    if token.pos_ in ("NOUN", "PROPN"):
        return predicates.get((lemma, "noun")) or predicates.get((token.lower_, "noun"))
    return None


def events(doc, offset: int = 0) -> list[Event]:
    """Every control event in a parsed sentence, asserted or not, in text order.

    ``offset`` is where the sentence starts in the report: every span returned indexes the report.
    """
    predicates, frames, cues = tables()
    triggers = {t.i: _is_predicate(t, predicates) for t in doc}
    found = []
    for token in doc:
        klass = triggers[token.i]
        if not klass:
            continue
        voice = _voice(token)
        for frame in frames:
            if frame.klass != klass or (frame.voice not in ("any", voice)):
                continue
            if frame.requires and not _first(token, frame.requires):
                continue
            patients = _with_conjuncts(_first(token, frame.patient))
            if klass in ("take", "hold") and frame.voice == "active" and patients and patients[0].lemma_ in ("control", "command"):
                patients = _with_conjuncts(_misplaced_of(token, patients[0]))
            if not patients and klass == "nominal":
                patients = _with_conjuncts(_misplaced_of(token, token))  # "the capture overnight Thursday of P"
            if not patients and frame.voice == "active" and klass in ("take", "hold"):
                patients = _with_conjuncts(_object_taken_for_subject(token))
            if not patients and frame.voice == "active" and klass == "take" and token.dep_ == "relcl" and any(
                    c.dep_ == "advmod" and c.lower_ == "where" for c in token.children):
                patients = [token.head]  # "the post of Rabia, where federal guards took over in 2017"
            if patients and frame.voice == "active":
                # "captured the posts of al-Waleed, on the Syrian frontier, and Turaibil": the parser
                # hangs the second object on the verb as a conjunct; a bare noun there is an object
                patients += [c for c in token.children if c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN")
                             and not any(g.dep_ in ("nsubj", "nsubjpass", "dobj") for g in c.children)]
            # "took control of five towns, including the border town of P": the members named
            patients += _included(token, patients)
            patients = [_for_relative(p, token) for p in patients if not _is_clause(p)
                        and cues.get(p.lemma_.lower()) != "partial"]
            agents = [_for_relative(a, token) for a in _with_conjuncts(_first(token, frame.agent)) if not _is_clause(a)]
            if agents and frame.voice == "active":
                agents += _joined_on_verb(token)
            inherited = False
            if not agents and frame.voice == "active" and token.dep_ == "acl" and token.tag_ == "VBG":
                agents = [token.head]  # "with militants holding the first": the noun does it
            if not agents and frame.voice == "active":
                agents = _subject_taken_for_object(token)
            if not agents and frame.voice == "active":
                subject = _subject_of_governor(token)
                if subject is not None:
                    agents, inherited = _with_conjuncts([subject]), True
            if not patients and not agents:
                continue
            why = _assertion(token, cues)
            found.append(Event(frame, _span(token, offset),
                               [wide_slot(a, offset) for a in agents],
                               [slot(p, offset) for p in patients], not why, why, inherited_agent=inherited,
                               trigger_index=token.i, since=_since(token, offset),
                               claimant=_claimant(token, cues, offset),
                               expelled=[wide_slot(o, offset) for o in follow(token, ("dobj",))]
                               if klass == "expel" else []))
            break
    _assign_domains(doc, found, offset, cues)
    return found


def _claimant(token, cues: dict, offset: int) -> Slot | None:
    """Who reports a gain as their own: the subject of "announced that P was captured", or of
    "said P was liberated / brought under control" (a recovery is claimed by the side that made it;
    "said P was captured" may be a loss, so it names no one)."""
    recovered = cues.get(token.lemma_.lower()) == "recovery" or (
        token.dep_ == "pobj" and cues.get(token.head.head.lemma_.lower()) == "recovery")  # "brought under control"
    if token.pos_ == "NOUN" and token.dep_ == "dobj" and cues.get(token.head.lemma_.lower()) == "announcement":
        # "the Joint Operations Command announced the liberation of P"
        subjects = [c for c in token.head.children if c.dep_ == "nsubj" and c.pos_ != "PRON"]
        return wide_slot(subjects[0], offset) if subjects else None
    current = token if token.pos_ in ("VERB", "AUX") else token.head.head
    for _ in range(4):
        head = current.head
        if head.i == current.i or current.dep_ not in ("ccomp", "conj", "xcomp"):
            return None
        cue = cues.get(head.lemma_.lower())
        if cue in ("speech", "announcement"):
            if cue == "speech" and not recovered:
                return None
            subjects = [c for c in head.children if c.dep_ == "nsubj" and c.pos_ != "PRON"]
            return wide_slot(subjects[0], offset) if subjects else None
        current = head
    return None


def _included(trigger, patients) -> list:
    """The members an object lists with "including".

    Hung on it or on a noun between it and the verb ("took control of four towns, including P": the
    parser may hang "including" on "control").
    """
    found = []
    for patient in patients:
        node = patient
        while node.i != trigger.i and node.head.i != node.i:
            found += [t for t in _with_conjuncts(follow(node, ("prep:including", "pobj"))) if t not in found]
            node = node.head
    return found


def _since(verb, offset: int) -> tuple[int, int] | None:
    """The span of the verb's "since …" phrase or clause, if it has one."""
    for child in verb.children:
        if (child.dep_ == "prep" and child.lower_ == "since") or (
                child.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ == "since" for m in child.children)):
            return _subtree_span(child, offset)
    return None


def _joined_on_verb(verb) -> list:
    """Holders the parser hangs on the verb rather than on its subject.

    "US troops have held it since 2016 together with a rebel group", "the army, along with allied
    militias, retook P", "retook P alongside allied militias".
    """
    joined = []
    for prep in verb.children:
        if prep.dep_ != "prep":
            continue
        together = prep.lower_ == "with" and any(c.dep_ == "advmod" and c.lower_ in ("together", "along")
                                                  for c in prep.children)
        if together or prep.lower_ == "alongside":
            joined += [c for c in prep.children if c.dep_ == "pobj"]
        elif prep.lower_ == "along":
            joined += follow(prep, ("prep:with", "pobj"))
    return joined


def _subject_taken_for_object(verb) -> list:
    """The subject of a second verb that the small model hung on the first verb's object.

    "The Peshmerga withdrew from Khanaqin and Iraqi federal forces, with PMF units, took the
    crossing": "Khanaqin and Iraqi federal forces" is read as one object of "withdrew". Forces joined
    by "and" to the first verb's object, before a comma and a subjectless second verb, are its subject.
    """
    if verb.dep_ != "conj" or any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        return []
    governor = verb.head
    for obj in [*follow(governor, ("dobj",)), *follow(governor, ("prep", "pobj"))]:
        if (obj.lemma_.lower() in _FORCE_NOUNS and obj.i < verb.i and obj.tag_ == "NNS"
                and any(t.dep_ == "cc" and t.lower_ == "and" and t.i < obj.i for t in obj.subtree)
                and any(t.is_punct and t.lower_ == "," for t in verb.doc[obj.i + 1:verb.i])):
            return [obj]
    return []


def _object_taken_for_subject(verb) -> list:
    """"The rebels now controlled Jarabulus, Bab al-Hawa and … , a diplomat said": the small model
    makes the object the subject of the reporting verb after it. A noun right after a transitive
    control verb, heading a later verb's subject, is that verb's object."""
    for token in verb.doc[verb.i + 1:]:
        if token.dep_ in ("det", "amod", "compound", "advmod", "nummod", "poss", "case") or token.is_punct:
            continue
        if token.pos_ in ("NOUN", "PROPN") and token.dep_ in ("nsubj", "nsubjpass") and token.head.i > token.i:
            return [token]
        return []
    return []


def _misplaced_of(verb, control):
    """"took full control on Tuesday of the town", "the capture overnight Thursday of P": the parser
    hangs "of" on the date; take the next "of"."""
    own = follow(control, ("prep:of/over", "pobj"))
    if own:
        return own
    for token in verb.doc[control.i + 1:]:
        if token.lower_ in ("of", "over") and token.dep_ == "prep":
            return [c for c in token.children if c.dep_ == "pobj"]
        if token.is_sent_start or token.lower_ in (";",) or (token.pos_ == "VERB" and token.dep_ != "amod"):
            break
    return []


def _assign_domains(doc, found: list[Event], offset: int, cues: dict) -> None:
    """Give each event the tokens it governs before another verb does (its own dates), and those of
    the verbs coordinated with it ("drove ISIS out and raised their flag on Monday")."""
    triggers = {event.trigger_index for event in found}
    governor = {}
    for token in doc:
        current = token
        for _ in range(12):
            if current.i != token.i and (_is_clause(current) or current.i in triggers):
                break
            if current.head.i == current.i:
                break
            current = current.head
        governor[token.i] = current.i
    by_governor: dict[int, list] = {}
    for token in doc:
        by_governor.setdefault(governor[token.i], []).append(_span(token, offset))
    for event in found:
        trigger = doc[event.trigger_index]
        if event.frame.voice == "participle" and trigger.head.dep_ in ("dobj", "pobj", "nsubjpass") \
                and trigger.head.head.i in triggers and trigger.head.head.i != trigger.i:
            # "overran the post still held by the army on Thursday": the parser hangs the day on
            # the participle; a standing holding has no day of its own, the verb governing it does
            own = _span(trigger, offset)
            by_governor.setdefault(trigger.head.head.i, []).extend(
                span for span in by_governor.pop(trigger.i, []) if span != own)
            by_governor[trigger.i] = [own]
    for event in found:
        trigger = doc[event.trigger_index]
        event.domain = list(by_governor.get(trigger.i, []))
        cue = cues.get(trigger.head.lemma_.lower())  # what the governing word is: "said", "announced" …
        if trigger.dep_ == "ccomp" and trigger.head.i > trigger.i and cue == "speech":
            # "rebels took P yesterday, Wednesday, after two days of fighting, residents said": the
            # parser hangs the day on the attribution at the end; what lies before its speaker is the event's
            speaker = min((c.left_edge.i for c in trigger.head.children if c.dep_ == "nsubj"), default=trigger.head.i)
            before = doc[speaker].idx + offset
            event.domain += [span for span in by_governor.get(trigger.head.i, []) if span[0] < before]
        # Verbs coordinated with it only: the date of the verb reporting it ("said on Monday that
        # militants have seized P") is when it was said, not when it happened.
        around = [c.i for c in trigger.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
        if trigger.dep_ == "conj" and trigger.head.pos_ in ("VERB", "AUX"):
            around.append(trigger.head.i)
        shift = _shift_from_governor(trigger)
        if shift is not None:
            event.anchor, event.shift_days = list(by_governor.get(trigger.head.i, [])), shift
        elif trigger.dep_ == "advcl" and trigger.tag_ == "VBG" and not any(c.dep_ == "mark" for c in trigger.children):
            around.append(trigger.head.i)  # "linked up on Wednesday, giving the army control of P"
        event.around = [list(by_governor.get(i, [])) for i in around]
        if trigger.head.pos_ == "VERB" and (cue == "announcement" or (
                cue != "speech" and trigger.dep_ == "dobj" and trigger.pos_ == "NOUN")):
            # "announced on Thursday the liberation of P", "declared yesterday that P was liberated",
            # "completed on Sunday the capture of P"; but "officers said on Monday that militants have
            # seized P" is when it was said, and a later sentence may give the day it happened
            event.reported = list(by_governor.get(trigger.head.i, []))


def _shift_from_governor(trigger) -> int | None:
    """Days from the governing verb's date to this clause's: "a day after X seized P" is -1,
    "two days before" +2, "hours after" 0; None when the clause is not timed against its governor."""
    if trigger.dep_ != "advcl":
        return None
    marks = [c.lower_ for c in trigger.children if c.dep_ == "mark"]
    if not marks or marks[0] not in ("after", "before"):
        return None
    for child in trigger.children:
        if child.dep_ == "npadvmod" and child.lemma_.lower() in ("day", "hour"):
            if child.lemma_.lower() == "hour":
                return 0
            counts = [NUMBER_WORDS.get(c.lower_) or (int(c.text) if c.text.isdigit() else None)
                      for c in child.children if c.dep_ in ("nummod", "det")]
            days = next((n for n in counts if n), None)
            if days is None:
                return None
            return -days if marks[0] == "after" else days
    return None
