"""Run in a fresh process: load a pickled claims frame, prepare it and compute one as-of state; print memory."""

from __future__ import annotations

import json
import sys
from datetime import date

import pandas as pd

from bench.harness import peak_rss_mb


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main(path: str, on: str) -> None:
    from geodata.timeline import as_of, prepare

    frame = pd.read_pickle(path)
    loaded = _rss_mb()
    frame_mb = frame.memory_usage(deep=True).sum() / 2**20
    state = as_of(prepare(frame), date.fromisoformat(on))
    peak = peak_rss_mb()
    print(json.dumps({"claims": len(frame), "places": len(state), "loaded_mb": loaded, "frame_mb": frame_mb,
                      "maxrss_mb": peak}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
