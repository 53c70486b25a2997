"""Dashboard test material shared by test_app.py and test_browser.py: reports, a store, a served app.

Not a pytest conftest (pytest does not load it by itself): the two test modules import it.
The reports are our own words; the real extractor turns them into the claims the tests expect.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

INJECTION = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">'

# (report date, source, url, text). The comments say what the extractor must find.
REPORTS = [
    # al-qaim: ISIL, event 2014-06-14
    ("2014-06-15", "Test Wire", "https://example.org/wire/1",
     "Islamic State militants seized the Al-Qaim border crossing on Saturday after Iraqi troops "
     "withdrew, local officials said."),
    # rabia: Peshmerga, event 2014-06-19
    ("2014-06-20", "Test Wire", "https://example.org/wire/2",
     "Kurdish Peshmerga forces took control of the Rabia crossing on Thursday, a Kurdish official said."),
    # nineveh (a province): ISIL, event 2014-06-24
    ("2014-06-25", "Test Herald", "https://example.org/herald/3",
     "Islamic State militants took control of Nineveh province on Tuesday, residents said."),
    # al-waleed: Syrian opposition, event 2015-05-24; the sentence carries an injection attempt,
    # and the url is a javascript: url that must not become a link.
    ("2015-05-25", "Test <b>Herald</b>", "javascript:window.__pwned=1",
     f"Syrian rebels seized the Al-Waleed crossing on Sunday {INJECTION}, a rebel spokesman said."),
    # al-qaim: Iraqi government, event 2017-11-03
    ("2017-11-05", "Test Wire", "https://example.org/wire/5",
     "Iraqi forces recaptured the Al-Qaim crossing from the Islamic State on Friday, the army said."),
]

# What the map must show on the latest date (place -> party), and on the first date.
LATEST = {"al-qaim": "iraq-gov", "rabia": "krg", "nineveh": "isil", "al-waleed": "syrian-opposition"}
FIRST = {"al-qaim": "isil"}
DATES = [date.fromisoformat(d) for d, *_ in REPORTS]
XSS_PLACE = "al-waleed"
XSS_SENTENCE_START = "Syrian rebels seized the Al-Waleed crossing on Sunday"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def build_store(path: Path, extractor) -> Path:
    """A SQLite store holding :data:`REPORTS`, extracted the way the upload form does it."""
    from extract.batch import report_record
    from extract.sources import InputOptions, make_report
    from geodata.store import ClaimStore

    batch = []
    for number, (day, source, url, text) in enumerate(REPORTS):
        options = InputOptions(report_date=date.fromisoformat(day), source=source)
        report = make_report(f"report-{number}.txt", text, False, options, {"url": url})
        batch.append((report_record(report), extractor.extract(report.text, report.report_date,
                                                               report.source, report.url)))
    store = ClaimStore(path)
    store.add_reports(batch)
    store.close()
    return path


def free_port() -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(db: Path, port: int) -> list[str]:
    """``borderwatch serve`` from this environment, on 127.0.0.1, without demo data."""
    script = shutil.which("borderwatch", path=str(Path(sys.executable).parent))
    base = [script] if script else [sys.executable, "-m", "dashboard.cli"]
    return [*base, "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port), "--no-demo"]


@contextmanager
def served(db: Path, log: Path, timeout: float = 90.0, extra: tuple[str, ...] = ()):
    """Run the dashboard on a free port until the block ends; yields its base URL.

    ``extra`` are more ``borderwatch serve`` options (the benchmark passes ``--gazetteer``).
    Waits on ``/_stcore/health`` (no fixed sleeps) and fails with the server's log if it dies.
    """
    port = free_port()
    env = dict(os.environ, BORDERWATCH_TILES="offline")
    env.pop("BORDERWATCH_GAZETTEER", None)
    with open(log, "wb") as out:
        process = subprocess.Popen([*serve_command(db, port), *extra], stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"borderwatch serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"borderwatch serve not healthy after {timeout}s:\n{log.read_text()}")
            time.sleep(0.1)  # poll interval, not a wait for readiness
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own process group: the CLI and Streamlit under it
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def dashboard_on_test_store(tmp_path_factory, extractor, name: str, out: Path):
    """The dashboard on a free port over a store the extractor filled from the test reports."""
    db = build_store(tmp_path_factory.mktemp(name) / "store.db", extractor)
    out.mkdir(parents=True, exist_ok=True)
    with served(db, out / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium (required under CI; skipped elsewhere when missing)."""
    from conftest import require

    require(CHROMIUM.exists(), f"{CHROMIUM} is missing; CI must install Debian's chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    """One headless Chromium for a test module, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield instance
        instance.close()
