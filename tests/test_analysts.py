"""Several analysts on one PostgreSQL store: separate dashboard processes and concurrent corrections.

Each dashboard is its own process running the real page through Streamlit's AppTest (its own
caches, its own ``USER``), driven by JSON lines on its stdin; "refresh" is a new session, as a
browser reload is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest_browser import DATES, LATEST, build_store

from geodata.store import ClaimStore
from geodata.timeline import as_of

TESTS = Path(__file__).resolve().parent
APP = TESTS.parent / "dashboard" / "app.py"
LAST = DATES[-1].isoformat()

pytestmark = pytest.mark.slow


# -- the dashboard process ----------------------------------------------------------------------
def dashboard_main() -> None:
    """Child process: one analyst's dashboard. Reads commands, answers each with what the map shows.

    Commands (one JSON object a line): ``{"do": "open"}`` loads the page in a new session;
    ``{"do": "reject", "place": P}`` rejects the place's first listed claim; ``{"do": "set",
    "place": P, "party": Q, "on": DAY, "note": N, "go": FILE}`` fills the set-holder form, waits for
    ``FILE`` to exist (so two analysts press Save together; it says ``{"waiting": FILE}`` first),
    then saves.
    """
    from streamlit.testing.v1 import AppTest

    from geodata import load_gazetteer

    PARTY_BY_LABEL = {p.label: p.id for p in load_gazetteer().parties.values()}  # noqa: N806
    at = None
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "open":
            at = AppTest.from_file(str(APP), default_timeout=90).run()
        elif command["do"] == "reject":
            at.selectbox(key="w_place").set_value(command["place"]).run()
            at.text_input(key="w_reject_note").input(command.get("note", ""))
            at.button(key="w_reject").click().run()
        elif command["do"] == "set":
            next(s for s in at.selectbox if s.label == "Place").set_value(command["place"])
            at.selectbox(key="w_set_party").set_value(command["party"])
            next(d for d in at.date_input if d.label == "On").set_value(date.fromisoformat(command["on"]))
            at.text_input(key="w_set_note").input(command.get("note", ""))
            go = command.get("go")
            if go:
                print(json.dumps({"waiting": go}), flush=True)
                while not Path(go).exists():
                    time.sleep(0.002)
            at.button(key="w_set_save").click().run()
        table = next(d.value for d in at.dataframe if "Id" in d.value.columns)  # the page's places table
        print(json.dumps({
            "holders": {row["Id"]: "split" if " / " in row["Holder"] else PARTY_BY_LABEL.get(row["Holder"], row["Holder"])
                        for _, row in table.iterrows()},  # "Al-Qaim: X / Albu Kamal: Y": sides held apart
            "errors": [e.message for e in at.exception],
            "flash": [s.value for s in at.success] + [t.value for t in at.toast],  # toasts since issue 15
        }), flush=True)


class Dashboard:
    """A dashboard process for one analyst (``USER``) on the store ``db``."""

    def __init__(self, db: str, user: str):
        env = {**os.environ, "BORDERWATCH_DB": db, "USER": user, "BORDERWATCH_TILES": "offline",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
        for name in ("BORDERWATCH_GAZETTEER", "BORDERWATCH_BOUNDARIES"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import test_analysts; test_analysts.dashboard_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def send(self, **command) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        assert line, f"dashboard process died:\n{self.process.stderr.read()}"
        result = json.loads(line)
        assert not result.get("errors"), result["errors"]
        return result

    def do(self, **command) -> dict:
        self.send(**command)
        return self.answer()

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def shared_store(postgres_url, extractor) -> str:
    """One PostgreSQL store holding the dashboard test reports."""
    build_store(postgres_url, extractor)
    return postgres_url


@pytest.fixture
def analysts(shared_store):
    alice, bob = Dashboard(shared_store, "alice"), Dashboard(shared_store, "bob")
    yield alice, bob
    alice.close()
    bob.close()


# -- tests ---------------------------------------------------------------------------------------
def test_two_dashboards_see_each_others_corrections_after_a_refresh(shared_store, analysts):
    alice, bob = analysts
    alice.send(do="open")
    bob.send(do="open")
    shown = {**LATEST, "al-qaim": "split"}  # the demo's Albu Kamal side is still ISIL's (test_browser.SPLIT)
    assert alice.answer()["holders"] == bob.answer()["holders"] == shown

    rejected = alice.do(do="reject", place="al-qaim", note="misread")
    assert rejected["holders"]["al-qaim"] == "isil"  # alice's recapture claim is gone for her
    assert bob.do(do="open")["holders"]["al-qaim"] == "isil"  # and for bob after a reload

    saved = bob.do(do="set", place="rabia", party="sdf", on=LAST, note="seen on the ground")
    assert saved["holders"]["rabia"] == "sdf" and any("Correction" in f for f in saved["flash"])
    assert alice.do(do="open")["holders"] == {**LATEST, "al-qaim": "isil", "rabia": "sdf"}

    fixes = ClaimStore(shared_store, create=False).corrections_frame()
    assert list(zip(fixes["action"], fixes["author"], fixes["note"])) == [
        ("reject", "alice", "misread"), ("set", "bob", "seen on the ground")]


def test_concurrent_corrections_to_one_place_are_both_kept_with_authors_and_times(shared_store, analysts,
                                                                                    tmp_path):
    alice, bob = analysts
    alice.send(do="open")
    bob.send(do="open")
    alice.answer(), bob.answer()
    go = tmp_path / "go"
    alice.send(do="set", place="rabia", party="isil", on=LAST, note="alice's source", go=str(go))
    bob.send(do="set", place="rabia", party="sdf", on=LAST, note="bob's source", go=str(go))
    assert alice.answer() == bob.answer() == {"waiting": str(go)}  # both forms filled, Save not pressed
    go.touch()
    alice.answer(), bob.answer()

    store = ClaimStore(shared_store, create=False)
    fixes = store.corrections_frame()
    assert sorted(zip(fixes["author"], fixes["party"], fixes["note"])) == [
        ("alice", "isil", "alice's source"), ("bob", "sdf", "bob's source")]
    assert fixes["place_id"].tolist() == ["rabia", "rabia"] and fixes["created_at"].notna().all()
    assert fixes["id"].is_unique
    # the map stays one answer for everyone: both dashboards agree after a reload
    alice.send(do="open")
    bob.send(do="open")
    seen_by_alice, seen_by_bob = alice.answer()["holders"], bob.answer()["holders"]
    assert seen_by_alice == seen_by_bob and seen_by_alice["rabia"] in ("isil", "sdf")
    # and neither correction is lost from the place's history
    frame = store.claims_frame()
    corrections = frame[(frame["rule"] == "correction") & (frame["place_id"] == "rabia")]
    assert sorted(corrections["party"]) == ["isil", "sdf"]
    assert sorted(corrections["source"]) == ["analyst correction by alice", "analyst correction by bob"]


CORRECTOR = """
import sys, time
from datetime import date
from pathlib import Path
from geodata.store import ClaimStore
db, author, go, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
store = ClaimStore(db, create=False)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
for n in range(count):
    store.add_correction("set", place_id="rabia", party="krg", event_date=date(2014, 9, 30),
                         note=f"{author} {n}", author=author)
"""


def test_four_processes_correcting_one_place_at_once_lose_no_correction(shared_store, tmp_path):
    go, count = tmp_path / "go", 25
    authors = ["ana", "ben", "chen", "dara"]
    workers = [subprocess.Popen([sys.executable, "-c", CORRECTOR, shared_store, a, str(go), str(count)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in authors]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    store = ClaimStore(shared_store, create=False)
    fixes = store.corrections_frame()
    assert len(fixes) == len(authors) * count and fixes["id"].is_unique
    assert fixes.groupby("author")["note"].apply(sorted).to_dict() == {
        a: sorted(f"{a} {n}" for n in range(count)) for a in authors}
    assert fixes["created_at"].notna().all()
    assert store.check() == []
    assert as_of(store.claims_frame(), date(2014, 9, 30)).set_index("place_id").loc["rabia", "party"] == "krg"


def _cli(*args: str, user: str = "analyst") -> subprocess.CompletedProcess:
    env = {**os.environ, "USER": user}
    env.pop("BORDERWATCH_DB", None)
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_commands_use_a_postgresql_store_given_as_url(postgres_url, tmp_path):
    report = tmp_path / "rabia.txt"
    report.write_text("Kurdish Peshmerga forces retook the Rabia border crossing on Sunday, officials said.")
    stored = _cli("extract", str(report), "--report-date", "2014-09-30", "--db", postgres_url)
    assert stored.returncode == 0, stored.stderr
    again = _cli("extract", str(report), "--report-date", "2014-09-30", "--db", postgres_url)
    assert again.returncode == 0, again.stderr
    assert ClaimStore(postgres_url, create=False).counts()["reports"] == 1  # the same report once

    fixed = _cli("correct", "set", "rabia", "isil", "2014-09-30", "--note", "seen", "--author", "cli-user",
                 "--db", postgres_url)
    assert fixed.returncode == 0, fixed.stderr
    exported = _cli("export", "--db", postgres_url)
    assert exported.returncode == 0, exported.stderr
    holders = {f["properties"]["id"]: f["properties"]["party"] for f in json.loads(exported.stdout)["features"]}
    assert holders == {"rabia": "isil"}
    assert ClaimStore(postgres_url, create=False).corrections_frame()["author"].tolist() == ["cli-user"]
