"""The as-of state: latest claim at or before T, runs, contested, staleness, periods; checked by brute force."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from helpers import GOVERNMENT, make_claim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.store import claims_to_frame
from geodata.timeline import STATE_COLUMNS, as_of, effective_dates, periods, prepare, timeline_dates

D = date.fromisoformat


def frame_of(*claims):
    return claims_to_frame(claims)


def state_at(claims, on=None, government=GOVERNMENT):
    state = as_of(frame_of(*claims), D(on) if isinstance(on, str) else on, government)
    return state.set_index("place_id")


def rabia(party, event_date=None, report_date="2014-06-30", report_id="r1", **kw):
    return make_claim("rabia", party, event_date=event_date, report_date=report_date, report_id=report_id, **kw)


# -- latest claim at or before T ---------------------------------------------------------------
@pytest.fixture
def rabia_history():
    return [
        rabia("isil", "2014-06-10", "2014-06-11", "r1"),
        rabia("krg", "2014-06-20", "2014-06-21", "r2"),
        rabia("iraq-gov", None, "2014-06-25", "r3"),  # no event date: its report date counts
    ]


@pytest.mark.parametrize("on, party", [
    ("2014-06-10", "isil"), ("2014-06-19", "isil"), ("2014-06-20", "krg"),
    ("2014-06-24", "krg"), ("2014-06-25", "iraq-gov"), ("2015-01-01", "iraq-gov"),
])
def test_state_is_the_latest_claim_at_or_before_the_date(rabia_history, on, party):
    assert state_at(rabia_history, on).loc["rabia", "party"] == party


def test_nothing_known_before_the_first_claim(rabia_history):
    state = as_of(frame_of(*rabia_history), D("2014-06-09"))
    assert state.empty and list(state.columns) == STATE_COLUMNS


def test_without_a_date_the_state_is_the_latest(rabia_history):
    state = state_at(rabia_history)
    assert state.loc["rabia", "party"] == "iraq-gov"
    assert state.loc["rabia", "staleness_days"] == 0


def test_event_date_wins_over_report_date():
    # reported on the 30th about the 12th: on the 15th it is already known to be the case
    claims = [rabia("isil", "2014-06-12", "2014-06-30", "r1"), rabia("krg", None, "2014-06-14", "r2")]
    assert state_at(claims, "2014-06-13").loc["rabia", "party"] == "isil"
    assert state_at(claims, "2014-06-15").loc["rabia", "party"] == "krg"
    assert state_at(claims, "2014-06-11").empty


def test_claims_with_neither_date_are_ignored():
    undated = rabia("isil", None, None, "r9")
    assert as_of(frame_of(undated)).empty
    state = state_at([undated, rabia("krg", "2014-06-20")])
    assert state.loc["rabia", "party"] == "krg" and state.loc["rabia", "n_reports"] == 1
    assert len(prepare(frame_of(undated, rabia("krg", "2014-06-20")))) == 1


def test_empty_frame_gives_an_empty_state_with_columns():
    empty = claims_to_frame([])
    state = as_of(empty, D("2014-06-01"))
    assert state.empty and list(state.columns) == STATE_COLUMNS
    assert as_of(empty).empty
    assert periods(empty, "rabia").empty


# -- runs: since, periods ----------------------------------------------------------------------
def test_since_is_the_first_date_of_the_unbroken_run():
    claims = [rabia("isil", day, report_id=f"r{n}") for n, day in
              enumerate(["2014-06-10", "2014-06-12", "2014-06-15"])]
    state = state_at(claims, "2014-06-16")
    assert state.loc["rabia", "since"] == D("2014-06-10")
    assert state.loc["rabia", "latest"] == D("2014-06-15")


def test_a_change_of_party_starts_a_new_run():
    claims = [rabia("isil", "2014-06-10", report_id="a"), rabia("isil", "2014-06-12", report_id="b"),
              rabia("krg", "2014-06-20", report_id="c"), rabia("isil", "2014-06-25", report_id="d"),
              rabia("isil", "2014-06-27", report_id="e")]
    assert state_at(claims, "2014-06-22").loc["rabia", "since"] == D("2014-06-20")
    back = state_at(claims, "2014-06-28").loc["rabia"]
    assert (back["party"], back["since"]) == ("isil", D("2014-06-25"))  # not the 10th: the run was broken
    assert back["n_reports"] == 2  # d and e, not a and b of the earlier run


def test_periods_are_bands_of_one_holder():
    claims = [rabia("isil", "2014-06-10", report_id="a"), rabia("isil", "2014-06-12", report_id="b"),
              rabia("krg", "2014-06-20", report_id="c"), rabia("isil", "2014-06-25", report_id="d"),
              make_claim("al-qaim", "isil", event_date="2014-06-01")]
    bands = periods(frame_of(*claims), "rabia")
    assert bands[["party", "start", "end"]].values.tolist() == [
        ["isil", D("2014-06-10"), D("2014-06-20")],
        ["krg", D("2014-06-20"), D("2014-06-25")],
        ["isil", D("2014-06-25"), D("2014-06-25")],
    ]
    assert bands["reports"].tolist() == [2, 1, 1]
    assert periods(frame_of(*claims), "trebil").empty


# -- contested ---------------------------------------------------------------------------------
def test_reports_disagreeing_on_the_same_date_are_contested_and_both_kept():
    spokesman = rabia("iraq-gov", "2014-06-22", report_id="r1", source="State TV",
                      evidence="A government spokesman said troops retook Rabia.")
    officials = rabia("isil", "2014-06-22", report_id="r2", source="Wire",
                      evidence="Officials at the crossing said militants still hold Rabia.")
    row = state_at([spokesman, officials], "2014-06-23").loc["rabia"]
    assert row["contested"] and row["status"] == "contested"
    assert row["parties"] == ["iraq-gov", "isil"]
    evidence = {s["evidence"] for s in row["sources"]}
    assert evidence == {spokesman.evidence, officials.evidence}
    assert {s["source"] for s in row["sources"]} == {"State TV", "Wire"}


def test_sources_say_none_for_a_missing_date():
    row = state_at([rabia("isil", None, "2014-06-23", "r1", evidence="ISIL holds Rabia."),
                    rabia("isil", "2014-06-20", "2014-06-21", "r2", evidence="ISIL took Rabia on Friday.")]).loc["rabia"]
    undated, dated = row["sources"]  # newest first
    assert undated["event_date"] is None and undated["report_date"] == "2014-06-23"  # None, not NaN
    assert dated["event_date"] == "2014-06-20"


def test_agreement_on_the_latest_date_after_a_dispute_is_not_contested():
    claims = [rabia("iraq-gov", "2014-06-22", report_id="r1"), rabia("isil", "2014-06-22", report_id="r2"),
              rabia("isil", "2014-06-24", report_id="r3")]
    row = state_at(claims, "2014-06-25").loc["rabia"]
    assert not row["contested"] and row["status"] == "controls" and row["party"] == "isil"


def test_not_government_against_the_government_is_contested():
    claims = [rabia("unknown", "2014-06-22", report_id="r1", status="not-government"),
              rabia("iraq-gov", "2014-06-22", report_id="r2")]
    row = state_at(claims).loc["rabia"]
    assert row["contested"] and row["status"] == "contested"
    assert row["party"] == "iraq-gov"  # a named holder outranks "not the government"


def test_not_government_against_a_non_government_party_agrees():
    claims = [rabia("unknown", "2014-06-22", report_id="r1", status="not-government"),
              rabia("isil", "2014-06-22", report_id="r2")]
    row = state_at(claims).loc["rabia"]
    assert not row["contested"]
    assert (row["party"], row["status"]) == ("isil", "controls")


def test_not_government_is_only_contested_with_the_parties_named_as_government():
    claims = [rabia("unknown", "2014-06-22", report_id="r1", status="not-government"),
              rabia("iraq-gov", "2014-06-22", report_id="r2")]
    assert not state_at(claims, government=()).loc["rabia", "contested"]


def test_a_correction_settles_a_dispute_on_its_date():
    claims = [rabia("iraq-gov", "2014-06-22", report_id="r1"), rabia("isil", "2014-06-22", report_id="r2"),
              rabia("isil", "2014-06-22", report_id="r3"),
              rabia("iraq-gov", "2014-06-22", report_id="correction-1", construction="correction",
                    confidence=1.0)]
    row = state_at(claims).loc["rabia"]
    assert row["party"] == "iraq-gov" and not row["contested"]


# -- staleness and counts ------------------------------------------------------------------------
def test_staleness_is_days_since_the_last_report_about_the_place():
    claims = [rabia("isil", "2014-06-10", "2014-06-11", "r1"), rabia("isil", None, "2014-06-23", "r2"),
              make_claim("al-qaim", "isil", event_date=None, report_date="2014-06-01", report_id="r3")]
    state = state_at(claims, "2014-07-03")
    assert state.loc["rabia", "last_report"] == D("2014-06-23")
    assert state.loc["rabia", "staleness_days"] == 10
    assert state.loc["al-qaim", "staleness_days"] == 32


def test_n_reports_counts_distinct_reports_of_the_current_run():
    claims = [rabia("krg", "2014-06-01", report_id="old"),
              rabia("isil", "2014-06-10", report_id="a"),
              rabia("isil", "2014-06-10", report_id="a", span=(100, 140)),  # same report, twice
              rabia("isil", "2014-06-11", report_id="b"), rabia("isil", "2014-06-12", report_id="c")]
    assert state_at(claims).loc["rabia", "n_reports"] == 3


def test_prepare_is_reusable_across_dates(rabia_history):
    prepared = prepare(frame_of(*rabia_history))
    for on in ("2014-06-10", "2014-06-20", "2014-06-25"):
        pd.testing.assert_frame_equal(as_of(prepared, D(on), GOVERNMENT),
                                      as_of(frame_of(*rabia_history), D(on), GOVERNMENT))


def test_timeline_dates_are_distinct_sorted_report_dates(rabia_history):
    claims = [*rabia_history, rabia("isil", None, None, "r9"), rabia("krg", None, "2014-06-11", "r8")]
    assert timeline_dates(frame_of(*claims)) == [D("2014-06-11"), D("2014-06-21"), D("2014-06-25")]


# -- a brute-force reference -------------------------------------------------------------------
def reference_state(claims, on, government):
    """The as-of rules, one place and one day at a time, with no pandas."""
    by_place = defaultdict(list)
    for claim in claims:
        day = claim.event_date or claim.report_date
        if day is not None and (on is None or day <= on):
            by_place[claim.place_id].append((day, claim))
    if not by_place:
        return {}
    today = on or max(day for items in by_place.values() for day, _ in items)
    out = {}
    for place, items in by_place.items():
        winners = []
        for day in sorted({d for d, _ in items}):
            groups = defaultdict(list)
            for d, claim in items:
                if d == day:
                    groups[(claim.party, claim.status)].append(claim)

            def rank(key, groups=groups):
                party, status = key
                weight = 0.5 if status == "not-government" else 0.75 if party == "unknown" else 1.0
                return (-weight,
                        -len({c.report_id for c in groups[key]}), -max(c.confidence for c in groups[key]), party)

            winners.append((day, min(groups, key=rank)))
        latest, (party, status) = winners[-1]
        since = latest
        for day, holder in reversed(winners):
            if holder != (party, status):
                break
            since = day
        at_latest = [c for d, c in items if d == latest]
        named = {c.party for c in at_latest if c.status == "controls" and c.party != "unknown"}
        contested = len(named) > 1 or (any(c.status == "not-government" for c in at_latest)
                                       and bool(named & set(government)))
        reported = [c.report_date for _, c in items if c.report_date is not None]
        last_report = max(reported) if reported else latest
        out[place] = {
            "party": party, "status": "contested" if contested else status, "contested": contested,
            "since": since, "latest": latest, "last_report": last_report,
            "n_reports": len({c.report_id for d, c in items if d >= since and c.party == party}),
            "staleness_days": max(0, (today - last_report).days),
        }
    return out


START = date(2014, 6, 1)
days = st.one_of(st.none(), st.integers(0, 9).map(lambda n: START + timedelta(days=n)))


@st.composite
def claim_sets(draw):
    claims = []
    for number in range(draw(st.integers(0, 14))):
        status = draw(st.sampled_from(["controls", "controls", "not-government"]))
        party = "unknown" if status == "not-government" else draw(
            st.sampled_from(["isil", "krg", "iraq-gov", "syria-gov", "unknown"]))
        claims.append(make_claim(
            draw(st.sampled_from(["rabia", "al-qaim", "al-waleed"])), party, status=status,
            event_date=draw(days), report_date=draw(days), report_id=draw(st.sampled_from("abcde")),
            confidence=draw(st.sampled_from([0.4, 0.6, 0.9])), span=(number, number + 1)))
    return claims


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=claim_sets(), on=days)
def test_as_of_matches_a_brute_force_reference(claims, on):
    # Rules as specified: an unnamed holder disagrees with no named one and loses to it on the
    # same date; staleness never goes below zero (a later report about an earlier event).
    expected = reference_state(claims, on, GOVERNMENT)
    state = as_of(claims_to_frame(claims), on, GOVERNMENT)
    assert sorted(state["place_id"]) == sorted(expected)
    got = {row["place_id"]: {key: row[key] for key in next(iter(expected.values()))}
           for row in state.to_dict("records")} if expected else {}
    for place, want in expected.items():
        have = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in got[place].items()}
        assert have == want, place


def test_as_of_on_many_claims():
    # Speed is measured in bench/ (docs/benchmarks.md); here: the answer at scale is complete.
    rng = np.random.default_rng(1)
    parties = ["isil", "krg", "iraq-gov", "syria-gov"]
    claims = [make_claim(f"place-{rng.integers(400)}", parties[rng.integers(4)],
                         event_date=START + timedelta(days=int(rng.integers(300))),
                         report_id=f"r{rng.integers(5000)}", span=(n, n + 1)) for n in range(20_000)]
    frame = prepare(claims_to_frame(claims))
    state = as_of(frame, START + timedelta(days=150), GOVERNMENT)
    assert len(state) == 400 and state["since"].notna().all()


def test_as_of_on_many_places():
    claims = [make_claim(f"place-{n}", "isil", event_date="2014-06-01", report_id=f"r{n}", span=(n, n + 1))
              for n in range(10_000)]
    frame = prepare(claims_to_frame(claims))
    state = as_of(frame, None, GOVERNMENT)
    assert len(state) == 10_000 and all(len(s) == 1 for s in state["sources"])


def test_an_unnamed_holder_does_not_contest_a_named_one():
    frame = claims_to_frame([
        make_claim("al-qaim", "isil", event_date=D("2016-06-30"), report_id="a"),
        make_claim("al-qaim", "unknown", event_date=D("2016-06-30"), report_id="b"),
    ])
    (row,) = as_of(frame, D("2016-07-01"), GOVERNMENT).to_dict("records")
    assert (row["party"], row["status"], row["contested"]) == ("isil", "controls", False)


def test_staleness_is_never_negative():
    frame = claims_to_frame([make_claim("rabia", "krg", event_date=D("2014-06-22"), report_date=D("2014-06-25"))])
    (row,) = as_of(frame, D("2014-06-22"), GOVERNMENT).to_dict("records")
    assert row["staleness_days"] == 0


def test_state_on_a_date_equals_the_state_of_the_claims_up_to_it():
    """Cutting the prepared history at a date by binary search agrees with cutting the claims themselves."""
    from bench.generate import claims_frame

    frame = claims_frame(4_000, n_places=30, seed=7, days=120)
    rng = np.random.default_rng(7)
    picked = rng.choice(len(frame), 90, replace=False)
    frame.loc[picked[:30], "rule"] = "correction"
    frame.loc[picked[30:60], "report_date"] = None
    frame.loc[picked[60:], "party"] = "unknown"
    prepared = prepare(frame)
    effective = effective_dates(frame).dt.date
    for on in sorted(set(rng.choice(sorted(set(effective.dropna())), 12))):
        fast = as_of(prepared, on, GOVERNMENT)
        direct = as_of(frame[effective.le(on)].reset_index(drop=True), on, GOVERNMENT)
        assert len(fast) > 0
        pd.testing.assert_frame_equal(fast, direct)


# -- sides of a crossing --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gazetteer():
    from geodata.gazetteer import load_gazetteer

    return load_gazetteer()


def sided(gazetteer, *claims):
    """The claims as the store reads them: the gazetteer's sides and labels joined."""
    return claims_to_frame(claims, gazetteer)


def qaim(party, event_date, report_id, side=None, **kw):
    return make_claim("al-qaim", party, event_date=event_date, report_date=event_date, report_id=report_id,
                      side=side, evidence=kw.pop("evidence", f"{party} {side or 'whole'} {event_date}"), **kw)


def sides_of(row):
    return {s["side"]: (s["party"], s["since"]) for s in row["sides"]}


def test_a_claim_about_the_whole_crossing_sets_both_sides(gazetteer):
    row = as_of(sided(gazetteer, qaim("isil", "2014-06-21", "a"))).iloc[0]
    assert sides_of(row) == {"IQ": ("isil", D("2014-06-21")), "SY": ("isil", D("2014-06-21"))}
    assert (row["party"], row["status"], row["split"], row["side"]) == ("isil", "controls", False, None)
    assert [s["side_name"] for s in row["sides"]] == ["Al-Qaim", "Albu Kamal"]


def test_sides_held_by_different_parties_make_a_split_crossing(gazetteer):
    claims = [qaim("isil", "2014-06-21", "a"),
              qaim("iraq-gov", "2017-11-03", "b"),  # a state's own forces: their own side only
              qaim("syria-gov", "2017-11-19", "c", side="SY")]
    frame = prepare(sided(gazetteer, *claims))
    row = as_of(frame, D("2017-11-10")).iloc[0]
    assert sides_of(row) == {"IQ": ("iraq-gov", D("2017-11-03")), "SY": ("isil", D("2014-06-21"))}
    assert (row["party"], row["status"], row["split"]) == ("split", "split", True)
    assert row["holders"] == ["iraq-gov", "isil"]
    assert row["party_label"] == "Al-Qaim: Iraqi government forces / Albu Kamal: Islamic State (ISIL)"
    row = as_of(frame, D("2017-11-20")).iloc[0]
    assert sides_of(row) == {"IQ": ("iraq-gov", D("2017-11-03")), "SY": ("syria-gov", D("2017-11-19"))}
    # sides that agree again are one holder, since the later side's change
    later = as_of(sided(gazetteer, *claims, qaim("isil", "2018-01-05", "d", side="IQ"),
                        qaim("isil", "2018-01-09", "e", side="SY")), D("2018-02-01")).iloc[0]
    assert (later["party"], later["split"], later["since"]) == ("isil", False, D("2018-01-09"))


def test_a_whole_crossing_claim_sets_only_the_sides_where_the_party_stands(gazetteer):
    """ISIL taking Trebil holds the Iraqi side, not Jordan's; Nusra taking Nasib the Syrian side."""
    trebil = as_of(sided(gazetteer, make_claim("trebil", "isil", event_date="2014-06-22"))).iloc[0]
    assert sides_of(trebil) == {"IQ": ("isil", D("2014-06-22")), "JO": (None, None)}
    nasib = as_of(sided(gazetteer, make_claim("nasib", "nusra", event_date="2015-04-01"))).iloc[0]
    assert sides_of(nasib) == {"SY": ("nusra", D("2015-04-01")), "JO": (None, None)}
    # a party the table places nowhere ("other") still speaks for every side
    tribes = as_of(sided(gazetteer, make_claim("trebil", "other", event_date="2014-06-22"))).iloc[0]
    assert sides_of(tribes) == {"IQ": ("other", D("2014-06-22")), "JO": ("other", D("2014-06-22"))}


def test_a_side_with_no_report_yet_is_listed_without_a_holder(gazetteer):
    row = as_of(sided(gazetteer, make_claim("rabia", "sdf", side="SY", event_date="2016-05-01"))).iloc[0]
    assert sides_of(row) == {"IQ": (None, None), "SY": ("sdf", D("2016-05-01"))}
    assert (row["party"], row["split"]) == ("sdf", False)


def test_a_province_has_no_sides(gazetteer):
    row = as_of(sided(gazetteer, make_claim("nineveh", "isil", event_date="2014-06-10"))).iloc[0]
    assert row["sides"] == [] and row["side"] is None and row["holders"] == ["isil"]


def test_periods_per_side_and_of_the_whole_crossing(gazetteer):
    frame = sided(gazetteer, qaim("isil", "2014-06-21", "a"), qaim("iraq-gov", "2017-11-03", "b"),
                  qaim("syria-gov", "2017-11-19", "c", side="SY"))
    iraqi = periods(frame, "al-qaim", side="IQ")
    assert iraqi[["party", "start", "side"]].values.tolist() == [["isil", D("2014-06-21"), "IQ"],
                                                                 ["iraq-gov", D("2017-11-03"), "IQ"]]
    whole = periods(frame, "al-qaim")
    assert whole[["party", "start"]].values.tolist() == [["isil", D("2014-06-21")], ["split", D("2017-11-03")]]


def test_sides_on_generated_histories_agree_with_cutting_the_claims(gazetteer):
    rng = np.random.default_rng(3)
    claims = [make_claim(["al-qaim", "rabia", "al-waleed"][rng.integers(3)],
                         ["isil", "iraq-gov", "syria-gov", "sdf", "krg"][rng.integers(5)],
                         side=[None, None, "IQ", "SY"][rng.integers(4)],
                         event_date=START + timedelta(days=int(rng.integers(60))), report_id=f"r{n}",
                         span=(n, n + 1)) for n in range(300)]
    frame = sided(gazetteer, *claims)
    prepared = prepare(frame)
    effective = effective_dates(frame).dt.date
    for on in (START + timedelta(days=d) for d in (5, 20, 40, 59)):
        pd.testing.assert_frame_equal(as_of(prepared, on, GOVERNMENT),
                                      as_of(frame[effective.le(on)].reset_index(drop=True), on, GOVERNMENT))


# -- precision ------------------------------------------------------------------------------------
def test_a_vague_date_takes_effect_at_the_start_of_its_span_and_is_shown_as_the_span():
    mid = rabia("isil", "2014-05-01", "2015-03-01", "r1", event_precision="part")
    assert state_at([mid], "2014-04-30").empty
    row = state_at([mid], "2014-06-15").loc["rabia"]
    assert (row["since"], row["since_precision"], row["since_text"]) == (D("2014-05-01"), "part", "mid-2014")
    assert row["sources"][0]["event_text"] == "mid-2014"
    assert "2014-01-01" not in str(row.to_dict())


def test_a_precise_date_inside_the_span_wins_over_the_vague_one():
    claims = [rabia("iraq-gov", "2014-03-01", "2014-03-02", "r0"),
              rabia("isil", "2014-05-01", "2015-03-01", "r1", event_precision="part", evidence="Since mid-2014."),
              rabia("isil", "2014-06-21", "2014-06-22", "r2", evidence="ISIL took Rabia on 21 June.")]
    assert state_at(claims, "2014-06-15").loc["rabia", "party"] == "iraq-gov"  # not ISIL before the 21st
    row = state_at(claims, "2014-07-01").loc["rabia"]
    assert (row["party"], row["since"], row["since_text"]) == ("isil", D("2014-06-21"), "2014-06-21")
    assert row["n_reports"] == 2


def test_a_precise_date_of_another_holder_does_not_move_the_vague_one():
    claims = [rabia("isil", "2014-05-01", "2015-03-01", "r1", event_precision="part"),
              rabia("krg", "2014-08-20", "2014-08-21", "r2")]
    assert state_at(claims, "2014-06-01").loc["rabia", "party"] == "isil"
    assert state_at(claims, "2014-09-01").loc["rabia", "party"] == "krg"


# -- joint holders and contested ------------------------------------------------------------------
def nasib(party, report_id, span=(0, 80), evidence="The Nasib crossing fell to rebels and Nusra fighters.", **kw):
    return make_claim("nasib", party, event_date="2015-04-01", report_date="2015-04-02", report_id=report_id,
                      span=span, evidence=evidence, **kw)


def test_parties_named_as_one_agent_hold_jointly_not_contested():
    row = state_at([nasib("syrian-opposition", "r1"), nasib("nusra", "r1")]).loc["nasib"]
    assert not row["contested"] and row["status"] == "controls"
    assert row["party"] == "nusra" and row["joint_with"] == ["syrian-opposition"]
    assert row["holders"] == ["nusra", "syrian-opposition"]
    (source,) = row["sources"]  # one sentence, listed once, naming both
    assert source["parties"] == ["nusra", "syrian-opposition"]


def test_different_reports_naming_different_holders_on_one_date_are_contested():
    row = state_at([nasib("syrian-opposition", "r1", evidence="Rebels hold Nasib."),
                    nasib("nusra", "r2", evidence="Nusra holds Nasib.")]).loc["nasib"]
    assert row["contested"] and row["joint_with"] == []


def test_a_report_that_names_allies_does_not_contest_one_that_names_one_of_them():
    row = state_at([nasib("syrian-opposition", "r1"), nasib("nusra", "r1"),
                    nasib("nusra", "r2", evidence="Nusra fighters hold Nasib.")]).loc["nasib"]
    assert not row["contested"] and row["party"] == "nusra"


def test_an_explicit_contested_claim_is_contested():
    row = state_at([rabia("isil", "2014-06-22", report_id="r1"),
                    rabia("krg", "2014-06-22", report_id="r2", status="contested", span=(50, 90))]).loc["rabia"]
    assert row["contested"]


def test_each_sentence_is_listed_once():
    same = "Militants hold Rabia and the road to it."
    row = state_at([rabia("isil", "2014-06-22", report_id="r1", evidence=same),
                    rabia("isil", "2014-06-23", report_id="r2", evidence=same),
                    rabia("isil", "2014-06-24", report_id="r3", evidence="Another sentence.")]).loc["rabia"]
    assert [s["evidence"] for s in row["sources"]] == ["Another sentence.", same]
