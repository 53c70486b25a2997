"""Run in a fresh process: the real dashboard in headless Chromium, timing slider moves to updated markers.

The store holds the demo reports plus generated claims over ``--places`` made-up places (given to
the server as a ``--gazetteer`` file). Each move clicks the timeline's "previous change of control"
button, as a user would, and the clock stops when the page has finished the run (the URL carries the
new date) and,
where the state on the new date differs from the old one, when the map's markers have changed.

Prints one JSON line: ``load`` (seconds to the first markers), ``moves`` (seconds per move),
``changed`` (moves whose markers changed), ``markers`` (markers drawn at the start).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the served-app helper the browser tests use

from conftest_browser import CHROMIUM, CHROMIUM_ARGS, served  # noqa: E402

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
FINGERPRINT = """() => Array.from(document.querySelectorAll('.bw-marker'),
                                   e => e.dataset.place + ':' + e.dataset.colour + ':' + e.className).join('|')"""


def _states_differ(db: str, gazetteer: str, dates) -> list[bool]:
    """For each step from ``dates[i]`` to ``dates[i+1]``: does any place change party or status?"""
    from geodata.gazetteer import load_gazetteer
    from geodata.store import ClaimStore
    from geodata.timeline import as_of, prepare

    gaz = load_gazetteer(gazetteer)
    government = {c.government_party for c in gaz.countries.values() if c.government_party}
    frame = prepare(ClaimStore(db, create=False).claims_frame(gazetteer=gaz))
    states = []
    for day in dates:
        state = as_of(frame, day, government)
        states.append(dict(zip(state["place_id"], zip(state["party"], state["status"]))))
    return [states[i] != states[i + 1] for i in range(len(states) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--gazetteer", required=True)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--log", default=str(REPO / "test-output" / "bench-browser-server.log"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from geodata.store import ClaimStore

    from dashboard.view import change_runs
    from geodata.gazetteer import load_gazetteer
    from geodata.timeline import prepare

    dates = ClaimStore(args.db, create=False).report_dates()
    frame = prepare(ClaimStore(args.db, create=False).claims_frame(gazetteer=load_gazetteer(args.gazetteer)))
    changes = sorted(set(change_runs(frame)["date"]))
    # The page opens on the last report date; each click steps back to the previous change of control.
    path = [dates[-1], *[d for d in reversed(changes) if d < dates[-1]][:args.moves]]
    differ = _states_differ(args.db, args.gazetteer, path)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    with served(Path(args.db), Path(args.log), extra=("--gazetteer", args.gazetteer)) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(120_000)
        start = time.perf_counter()
        page.goto(url)
        page.frame_locator(MAP_FRAME).locator(".bw-marker").first.wait_for()
        load = time.perf_counter() - start
        page.wait_for_function("d => new URLSearchParams(location.search).get('as_of') === d",
                               arg=path[0].isoformat())
        frame = next(f for f in page.frames if "st_folium" in f.url)
        markers = frame.evaluate("() => document.querySelectorAll('.bw-marker').length")
        back = page.locator(".st-key-w_prev button").first
        moves, changed = [], 0
        for target, will_change in zip(path[1:], differ):
            before = frame.evaluate(FINGERPRINT)
            start = time.perf_counter()
            back.click()
            page.wait_for_function("d => new URLSearchParams(location.search).get('as_of') === d",
                                   arg=target.isoformat(), polling="raf")
            if will_change:
                frame.wait_for_function(f"old => ({FINGERPRINT})() !== old", arg=before, polling="raf")
                changed += 1
            moves.append(time.perf_counter() - start)
        browser.close()
    print(json.dumps({"load": load, "moves": moves, "changed": changed, "markers": markers}))


if __name__ == "__main__":
    main()
