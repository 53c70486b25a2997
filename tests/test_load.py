"""Load and uploads against the real server: `borderwatch serve` on 127.0.0.1.

* 20 sessions move the timeline slider for 60 seconds, each as fast as the server answers (no
  think time). They are websocket clients speaking Streamlit's own protocol (the BackMsg /
  ForwardMsg protobufs the page sends): on 2 shared cores, 20 Chromium pages spend ~75 % of the
  CPU drawing maps and would measure Chromium, not the server (docs/reliability.md has both
  figures). Every move must end in a successful run whose URL carries the new date, no run may
  show an exception, and the server's memory must come back near its level after a warm-up.
* Real Chromium pages (4 at once) move the slider at the same time: every move is drawn and no
  page throws.
* The upload form: a file over the configured limit is refused in the page, and an uploaded
  file's name (``../../escape.txt``) is a label only: nothing is written anywhere.

Figures are printed (run with ``-s``), written to test-output/load/, and recorded in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest_browser import CHROMIUM, CHROMIUM_ARGS, DATES, dashboard_on_test_store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "test-output" / "load"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
SLIDER_LABEL = "As of"  # a day slider (dashboard/panels.py); the label is hidden but named
SESSIONS = 20
SECONDS = 60.0
# The server's RSS once the sessions have gone may exceed the post-warm-up level by at most this:
# CPython keeps freed arenas, and Streamlit keeps a closed session for server.disconnectedSessionTTL.
RSS_MARGIN_MB = 100
STEP_TIMEOUT = 60.0  # seconds for one move, under full load
# The page tests wait for states (a text shown, an upload finished); this deadline is only the last guard,
# generous because a page run takes many times longer beside a CPU hog (scripts/stress-test.sh, issue 16).
PAGE_DEADLINE_MS = 120_000


def server_process(url: str):
    """The Streamlit process serving ``url`` (a child of the ``borderwatch serve`` CLI)."""
    import psutil

    port = str(urlsplit(url).port)
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "streamlit" in cmdline and port in cmdline:
            return process
    raise AssertionError(f"no streamlit process on port {port}")


def rss_mb(process) -> float:
    return process.memory_info().rss / 2**20


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory, extractor):
    with dashboard_on_test_store(tmp_path_factory, extractor, "load", OUT) as url:
        yield url


# -- websocket sessions ------------------------------------------------------------------------
class WebSession:
    """One Streamlit session over its websocket, as the page drives it: rerun requests with widget states."""

    def __init__(self, base: str, number: int):
        self.url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.number = number
        self.query = ""
        self.slider = None
        self.latencies: list[float] = []
        self.errors: list[str] = []

    async def __aenter__(self):
        import websockets

        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def rerun(self, value: str | None) -> None:
        """Ask for a run with the slider at ``value`` (None: first run), and wait until it ends."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        message.rerun_script.query_string = self.query
        if value is not None:
            state = message.rerun_script.widget_states.widgets.add()
            state.id = self.slider.id
            # A date slider's value travels as microseconds since the epoch (Streamlit's SliderSerde).
            days = (date.fromisoformat(value) - date(1970, 1, 1)).days
            state.double_array_value.data.append(days * 86_400_000_000)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT))
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                if element.WhichOneof("type") == "exception":
                    self.errors.append(f"session {self.number}: exception {element.exception.message}")
                if element.WhichOneof("type") == "slider" and element.slider.label == SLIDER_LABEL:
                    self.slider = element.slider
            elif kind == "page_info_changed":
                self.query = forward.page_info_changed.query_string
            elif kind == "session_event" and forward.session_event.WhichOneof("type") != "script_changed_on_disk":
                self.errors.append(f"session {self.number}: {forward.session_event}")
            elif kind == "script_finished":
                if forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    self.errors.append(f"session {self.number}: run ended with status {forward.script_finished}")
                break
        if value is not None:
            self.latencies.append(time.perf_counter() - started)
            shown = parse_qs(self.query).get("as_of", [""])[0]
            if shown != value:
                self.errors.append(f"session {self.number}: moved to {value}, the page says {shown}")

    async def move_until(self, until: float) -> None:
        """Move the slider one step at a time, back and forth over every date, until ``until``."""
        steps = [d.isoformat() for d in DATES]
        try:
            await self.rerun(None)
            assert self.slider is not None, "no timeline slider in the page"
            position, direction = len(steps) - 1, -1
            while time.monotonic() < until:
                if not 0 <= position + direction < len(steps):
                    direction = -direction
                position += direction
                await self.rerun(steps[position])
        except Exception as error:  # recorded; the test fails on it
            self.errors.append(f"session {self.number}: {type(error).__name__}: {error}")


async def _websocket_load(base: str, server) -> dict:
    async with WebSession(base, -1) as warm:  # warm-up: caches filled, one session come and gone
        await warm.move_until(time.monotonic() + 5)
    await asyncio.sleep(2)
    baseline = rss_mb(server)
    cpu_before = sum(server.cpu_times()[:2])
    peak = baseline
    sessions = [WebSession(base, n) for n in range(SESSIONS)]
    started = time.monotonic()
    for session in sessions:
        await session.__aenter__()

    async def sample(stop: asyncio.Event):
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mb(server))
            await asyncio.sleep(0.5)

    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(stop))
    await asyncio.gather(*(s.move_until(started + SECONDS) for s in sessions))
    elapsed = time.monotonic() - started
    stop.set()
    await sampler
    for session in sessions:
        await session.__aexit__(None, None, None)
    cpu = sum(server.cpu_times()[:2]) - cpu_before
    after = rss_mb(server)
    deadline = time.monotonic() + 15  # give the server a moment to drop the closed sessions
    while after > baseline + RSS_MARGIN_MB / 2 and time.monotonic() < deadline:
        await asyncio.sleep(1)
        after = rss_mb(server)
    latencies = [x for s in sessions for x in s.latencies]
    return {
        "clients": "websocket", "sessions": SESSIONS, "seconds": round(elapsed, 1), "interactions": len(latencies),
        "per_session_min": min(len(s.latencies) for s in sessions),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(p95(latencies), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None, "server_cpu_s": round(cpu, 1),
        "rss_baseline_mb": round(baseline), "rss_peak_mb": round(peak), "rss_after_mb": round(after),
        "errors": warm.errors + [e for s in sessions for e in s.errors],
    }


@pytest.mark.slow
def test_twenty_sessions_move_the_slider_for_a_minute(server):
    process = server_process(server)
    figures = asyncio.run(_websocket_load(server, process))
    print(f"\nload: {figures}")
    (OUT / "websocket-figures.json").write_text(json.dumps(figures, indent=1) + "\n")
    assert figures["errors"] == []
    # Fairness, not speed (speed is the benchmark's job, bench/): no session gets less than half
    # its share of the server. Every move is checked above, whatever it took, up to STEP_TIMEOUT.
    share = figures["interactions"] / SESSIONS
    assert figures["per_session_min"] >= max(2, share / 2), f"a session was starved: {figures}"
    assert figures["rss_after_mb"] <= figures["rss_baseline_mb"] + RSS_MARGIN_MB, figures


# -- real browsers -----------------------------------------------------------------------------
class BrowserSession:
    """One Chromium context on the dashboard; moves the slider with the keyboard and times the redraw."""

    def __init__(self, browser, base: str, number: int):
        self.browser, self.base, self.number = browser, base, number
        self.latencies: list[float] = []
        self.errors: list[str] = []

    async def run(self, seconds: float) -> None:
        context = await self.browser.new_context(viewport={"width": 1200, "height": 900})
        page = await context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))
        try:
            await page.goto(self.base + "/")
            await page.frame_locator(MAP_FRAME).locator(".bw-marker").first.wait_for(timeout=120_000)
            slider = page.get_by_role("slider", name=SLIDER_LABEL)
            # The slider steps by a day: from the last report date, one day back, then forth, over and over.
            on, direction = DATES[-1], -1
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                if not DATES[0] <= on + timedelta(days=direction) <= DATES[-1]:
                    direction = -direction
                on += timedelta(days=direction)
                await slider.focus()
                started = time.perf_counter()
                await page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
                await page.wait_for_function("v => new URLSearchParams(location.search).get('as_of') === v",
                                             arg=on.isoformat(), timeout=STEP_TIMEOUT * 1000)
                # drawn: the map's markers are those of the new date
                await page.frame_locator(MAP_FRAME).locator(".bw-marker").first.wait_for()
                self.latencies.append(time.perf_counter() - started)
        except Exception as error:
            self.errors.append(f"browser {self.number}: {type(error).__name__}: {str(error).splitlines()[0]}")
        finally:
            await context.close()


async def _browser_load(base: str, pages: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        sessions = [BrowserSession(browser, base, n) for n in range(pages)]
        await asyncio.gather(*(s.run(seconds) for s in sessions))
        await browser.close()
    latencies = [x for s in sessions for x in s.latencies]
    return {"clients": "chromium", "sessions": pages, "seconds": seconds, "interactions": len(latencies),
            "per_session_min": min(len(s.latencies) for s in sessions),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(p95(latencies), 3) if latencies else None,
            "errors": [e for s in sessions for e in s.errors]}


@pytest.mark.slow
def test_real_browsers_move_the_slider_at_the_same_time(server):
    figures = asyncio.run(_browser_load(server, 4, 12.0))
    print(f"\nbrowsers: {figures}")
    (OUT / "browser-figures.json").write_text(json.dumps(figures, indent=1) + "\n")
    assert figures["errors"] == []
    assert figures["per_session_min"] >= 2


# -- uploads -----------------------------------------------------------------------------------
def _upload_page(browser, base: str):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(PAGE_DEADLINE_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    page.frame_locator(MAP_FRAME).locator(".bw-marker").first.wait_for(timeout=PAGE_DEADLINE_MS)
    page.get_by_role("tab", name="Add reports").click()
    _idle(page)  # the tab's rerun has drawn the uploader the test will use
    return context, page, errors


def _idle(page) -> None:
    """Wait until the app's script is not running (Streamlit's own state on the page's root)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=PAGE_DEADLINE_MS)


def _upload(page, files: list[dict], name: str) -> None:
    """Give the uploader ``files`` and wait until the server has ``name`` (its chip's button says "Remove",
    not "Cancel upload of"): a click on "Preview claims" before that finds no file.

    A rerun still under way when the files are set may redraw the uploader without them (seen on a
    machine busy with other work): then, once the app is idle, there is no chip at all, and the files
    are set again, as a user would choose them again.
    """
    from playwright.sync_api import expect

    sent = page.get_by_role("button", name=f"Remove {name}", exact=True)
    chip = sent.or_(page.get_by_role("button", name=f"Cancel upload of {name}", exact=True))
    for _ in range(3):
        page.locator('input[type="file"]').set_input_files(files)
        _idle(page)
        if chip.count():
            break
    expect(sent).to_be_attached(timeout=PAGE_DEADLINE_MS)


def _files(folder: Path, recursive: bool = True) -> set[Path]:
    if not recursive:
        return {p for p in folder.iterdir() if p.is_file()}
    return {Path(root) / f for root, _, files in os.walk(folder) for f in files if "__pycache__" not in root}


def test_upload_over_the_limit_is_refused_in_the_page(server, browser):
    from playwright.sync_api import expect

    from dashboard.app_runner import MAX_UPLOAD_MB, streamlit_command

    command = streamlit_command("127.0.0.1", 1)
    assert command[command.index("--server.maxUploadSize") + 1] == str(MAX_UPLOAD_MB)
    context, page, errors = _upload_page(browser, server)
    try:
        big = b"Militants seized the Rabia crossing on Sunday.\n" * (MAX_UPLOAD_MB * 2**20 // 47 + 2**12)
        assert len(big) > MAX_UPLOAD_MB * 2**20
        page.locator('input[type="file"]').set_input_files(
            [{"name": "too-big.txt", "mimeType": "text/plain", "buffer": big}])
        expect(page.get_by_text(f"File must be {MAX_UPLOAD_MB:.1f}MB or smaller")).to_be_visible(
            timeout=PAGE_DEADLINE_MS)
        page.get_by_role("button", name="Preview claims").click()
        # nothing arrived
        expect(page.get_by_text("Choose files or paste a report first.")).to_be_visible(timeout=PAGE_DEADLINE_MS)
        assert errors == []
    finally:
        context.close()


def test_uploaded_file_names_are_labels_not_paths(server, browser, tmp_path):
    import tempfile

    from playwright.sync_api import expect

    before = _files(REPO / "dashboard") | _files(REPO, recursive=False)
    context, page, errors = _upload_page(browser, server)
    name = "../../../../../../tmp/borderwatch-escape.txt"
    try:
        _upload(page, [{"name": name, "mimeType": "text/plain",
                        "buffer": b"Kurdish Peshmerga forces took control of the Rabia crossing on Thursday."}], name)
        page.get_by_role("button", name="Preview claims").click()
        expect(page.get_by_text("1 report(s), 1 claim(s) found.")).to_be_visible(timeout=PAGE_DEADLINE_MS)
        expect(page.get_by_text(f"No report date for {name}")).to_be_visible(timeout=PAGE_DEADLINE_MS)  # as text
        page.get_by_role("button", name="Save 1 report(s) to the store").click()
        expect(page.get_by_text("Saved 1 report(s) with 1 claim(s)")).to_be_visible(timeout=PAGE_DEADLINE_MS)
        assert errors == []
    finally:
        context.close()
    created = (_files(REPO / "dashboard") | _files(REPO, recursive=False)) - before
    assert created == set(), f"the upload wrote files: {sorted(created)}"
    escaped = [p for p in Path(tempfile.gettempdir()).rglob("borderwatch-escape*")]
    assert escaped == [] and not (REPO.parent / "borderwatch-escape.txt").exists()
