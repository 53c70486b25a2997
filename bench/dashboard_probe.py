"""Run in a fresh process: the dashboard page under Streamlit's AppTest, timing a cold load and slider moves.

Prints one JSON line: ``first`` (seconds), ``moves`` (seconds of each rerun after moving the slider
to a date not shown before), ``cached`` (reruns on a date shown before), ``maxrss_mb`` (peak RSS of
this process after the AppTest runs) and ``pure`` (the page's steps called directly, by step).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

from bench.harness import peak_rss_mb

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


def _pure_path(db: str, gazetteer_path: str, on) -> dict:
    """The page's work for one slider move, step by step, on the prepared frame (no Streamlit run)."""
    from dashboard import mapview, view
    from geodata.export import Filters
    from geodata.gazetteer import load_gazetteer
    from geodata.store import ClaimStore
    from geodata.timeline import as_of, prepare

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    gaz = load_gazetteer(gazetteer_path)
    frame = prepare(ClaimStore(db, create=False).claims_frame())
    government = {c.government_party for c in gaz.countries.values() if c.government_party}
    label_of = {p: gaz.parties[p].label for p in gaz.parties}
    colours = {p: gaz.parties[p].colour for p in gaz.parties}
    steps, out = {}, {}

    def step(name, work):
        start = time.perf_counter()
        out[name] = work()
        steps[name] = time.perf_counter() - start
        return out[name]

    raw = step("as_of", lambda: as_of(frame, on, government))
    state = step("complete_state", lambda: view.complete_state(raw, gaz.places, gaz.parties))
    filters = Filters(as_of=on)
    shown = step("visible_places", lambda: view.visible_places(state, filters))
    features = step("map_features", lambda: view.map_features(shown, colours, label_of))
    layer = step("features_layer", lambda: mapview.features_layer(features))
    step("st_folium render", lambda: mapview.show_map(mapview.base_map("offline"), layer, mapview.DEFAULT_CENTER,
                                                       mapview.DEFAULT_ZOOM))
    bbox = view.viewport_bbox(mapview.DEFAULT_CENTER, mapview.DEFAULT_ZOOM, mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT)
    in_view = step("visible_places(bbox)", lambda: view.visible_places(state, filters, bbox=bbox))
    step("export_geojson", lambda: view.export_geojson(in_view, replace(filters, bbox=bbox), "0.1.0"))
    step("places_table+csv", lambda: view.csv_text(view.places_table(in_view)))
    steps["total"] = sum(steps.values())
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--gazetteer", required=True)
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument("--no-pure", action="store_true")
    args = parser.parse_args()

    os.environ["BORDERWATCH_DB"] = args.db
    os.environ["BORDERWATCH_TILES"] = "offline"
    os.environ["BORDERWATCH_GAZETTEER"] = args.gazetteer
    from streamlit.testing.v1 import AppTest

    from geodata.store import ClaimStore

    dates = ClaimStore(args.db, create=False).report_dates()
    at = AppTest.from_file(str(APP), default_timeout=1800)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the page failed: {[e.message for e in at.exception]}")
    # New dates spread over the later half of the timeline (the page opens on the last one).
    chosen = [dates[int(len(dates) * (0.5 + 0.4 * i / max(1, args.moves - 1)))] for i in range(args.moves)]
    moves, cached = [], []
    for day in chosen:
        at.slider(key="w_as_of").set_value(day)
        start = time.perf_counter()
        at.run()
        moves.append(time.perf_counter() - start)
        if at.exception:
            raise SystemExit(f"the page failed: {[e.message for e in at.exception]}")
        assert at.slider(key="w_as_of").value == day
    for day in chosen[:2]:
        at.slider(key="w_as_of").set_value(day)
        start = time.perf_counter()
        at.run()
        cached.append(time.perf_counter() - start)
    maxrss = peak_rss_mb()
    result = {"first": first, "moves": moves, "cached": cached, "maxrss_mb": maxrss, "dates": len(dates)}
    if not args.no_pure:
        result["pure"] = _pure_path(args.db, args.gazetteer, chosen[0])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
