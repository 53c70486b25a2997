"""As-of state: who held each place (and each side of a crossing) on a date, since when, how sure (pure, vectorised).

A crossing has one *track* per side (the side's country): a claim about one side ("Albu Kamal",
"the Syrian side of Al-Qaim") sets that side; a claim about the crossing as a whole sets every side,
except that a state's own forces (a country's government or its Kurdish forces) only set their own
country's side ("Iraqi forces retook the Al-Qaim crossing" says nothing of Albu Kamal). Each track
has its own history; the whole crossing's state is derived: one holder when the sides agree, else
``split``. Provinces, and crossings whose sides are unknown, have one track.

Event dates keep their precision ("mid-2014" is 2014-05-01 with precision ``part``): a claim takes
effect at the start of its span, is shown with its precision, and a more precise date inside the
span for the same holder replaces it. Parties a sentence names as one agent ("fell to rebels and
Nusra fighters": claims of one report, one sentence, one date, one rule, different parties) hold
jointly; a place is contested only when claims contradict each other (holders that are not joint,
on the same latest date) or say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from geodata.claims import PRECISIONS, date_span, describe_date

STATE_COLUMNS = [
    "place_id", "place_name", "place", "kind", "side", "lat", "lon", "party", "party_label", "joint_with",
    "status", "contested", "split", "since", "since_precision", "since_text", "last_report", "latest",
    "n_reports", "staleness_days", "confidence", "parties", "holders", "sides", "sources",
]
"""Columns of :func:`as_of`. ``place`` is the same as ``place_name`` (kept while the dashboard moves over)."""
SIDE_KEYS = ("side", "side_name", "party", "party_label", "joint_with", "status", "contested", "since",
             "since_precision", "since_text", "latest", "last_report", "n_reports", "staleness_days",
             "confidence", "parties")
"""Keys of each entry of a crossing's ``sides`` list (``party`` None: no report about that side yet)."""
MAX_SOURCES = 12
UNKNOWN = "unknown"  # an unnamed holder: it may be any named one, so it disagrees with none
SPLIT = "split"  # party and status of a crossing whose sides are held by different parties
_DAY = PRECISIONS.index("day")
SOURCE_KEYS = ["source", "url", "report_date", "event_date", "event_precision", "evidence", "party", "parties",
               "status", "side", "claim_key", "confidence"]


def effective_dates(frame: pd.DataFrame) -> pd.Series:
    """Each claim's date on the timeline: its event date (the start of its span), else its report date (datetime64)."""
    event = pd.to_datetime(frame["event_date"], errors="coerce")
    report = pd.to_datetime(frame["report_date"], errors="coerce")
    return event.fillna(report)


def _column(frame: pd.DataFrame, *names, default=None) -> np.ndarray:
    for name in names:
        if name in frame.columns:
            return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), default, dtype=object)


def _precision_ranks(frame: pd.DataFrame, has_event: np.ndarray) -> np.ndarray:
    """Rank of each claim's date precision (0 = day): a report date, or a date of unknown precision, is a day."""
    if "event_precision" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int8)
    ranks = pd.Series(frame["event_precision"].to_numpy(dtype=object)).map(
        {p: i for i, p in enumerate(PRECISIONS)}).fillna(_DAY).to_numpy(dtype=np.int8)
    return np.where(has_event, ranks, _DAY).astype(np.int8)


def _tracks(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of ``frame`` each track row comes from, and the track's side ("" for a one-track place)."""
    n = len(frame)
    sides = pd.Series(_column(frame, "side")).fillna("").astype(str).to_numpy(dtype=object)
    countries = pd.Series(_column(frame, "countries", default="")).fillna("").astype(str).to_numpy(dtype=object)
    kinds = _column(frame, "kind", default="crossing")
    whole = (sides == "") & (kinds == "crossing")
    if not whole.any() or not ((countries != "") | (sides != "")).any():
        return np.arange(n), sides  # no crossing has known sides: one track per place
    place_ids = frame["place_id"].to_numpy(dtype=object)
    named: dict[str, set] = {}
    for place, side in zip(place_ids[sides != ""], sides[sides != ""]):
        named.setdefault(place, set()).add(side)
    home = _column(frame, "party_countries", default="")
    status = _column(frame, "status", default="controls")
    rules = _column(frame, "rule", default="")
    targets = np.empty(n, dtype=object)
    targets[:] = [(side,) for side in sides]
    for row in np.flatnonzero(whole):
        known = tuple(countries[row].split("|")) if countries[row] else tuple(sorted(named.get(place_ids[row], ())))
        if not known:
            continue
        where = tuple(c for c in known if c in (home[row] or "").split("|"))
        if status[row] == "controls" and where and rules[row] != "correction":
            # a party holds the sides of the countries its forces stand in (a state its own; ISIL at
            # Trebil the Iraqi side, not Jordan's); an analyst's correction without --side speaks for
            # the whole crossing
            known = where
        targets[row] = known
    counts = np.fromiter((len(t) for t in targets), dtype=np.int64, count=n)
    rows = np.repeat(np.arange(n), counts)
    track_sides = np.fromiter((s for t in targets for s in t), dtype=object, count=int(counts.sum()))
    return rows, track_sides


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort the claims once and work out everything about them that does not depend on the as-of date.

    Each claim goes on its place's track(s) (one per side of a crossing); then who won each
    (track, date), where each run of the same holder starts and with what precision, who held
    jointly, and running counts along each track's history: :func:`as_of` then finds each track's
    last claim before a date with one binary search and reads its state off that row. Claims with
    no date at all cannot be placed on the timeline and are left out.
    """
    if frame.attrs.get("prepared") == len(frame) and "effective" in frame.columns:
        return frame
    rows, track_sides = _tracks(frame)
    expanded = len(rows) != len(frame)
    source = frame.take(rows) if expanded else frame
    effective = effective_dates(source).to_numpy()
    has_event = pd.notna(pd.to_datetime(source["event_date"], errors="coerce")).to_numpy()
    rank = _precision_ranks(source, has_event)
    rules = _column(source, "rule", "construction", default="")
    is_correction = rules == "correction"
    place_code = pd.factorize(source["place_id"], sort=True)[0].astype(np.int64)
    side_code, side_values = pd.factorize(pd.Series(track_sides, dtype=object), sort=True)
    track_code = place_code * max(len(side_values), 1) + side_code
    days = effective.astype("datetime64[D]").astype(np.int64)  # NaT becomes the smallest integer
    days = _precise_inside_span(days, rank, track_code, source, effective)
    # One stable sort by track, date, corrections last, and one copy of the frame (a million claims
    # take half a gigabyte; copying, filtering and sorting in turn held three of them at once).
    order = np.lexsort((is_correction, days, track_code))
    order = order[~np.isnat(effective[order])]
    if not expanded and np.array_equal(order, np.arange(len(order))):  # already in order, as the store reads claims
        claims = frame.iloc[:len(order)].copy(deep=False)  # new columns go on this frame only
    else:
        claims = source.take(order)
    claims.index = pd.RangeIndex(len(claims))
    if "place_name" not in claims.columns:
        claims["place_name"] = _column(claims, "place", default=None)
    days, track_code = days[order], track_code[order]
    claims["effective"] = days.astype("datetime64[D]").astype("datetime64[ns]")
    claims["precision_rank"] = rank[order]
    claims["track_side"] = track_sides[order]
    claims["report_day"] = pd.to_datetime(claims["report_date"], errors="coerce")
    claims["is_correction"] = is_correction[order]
    claims["rule_"] = rules[order]
    first_of_track = np.r_[True, track_code[1:] != track_code[:-1]] if len(days) else np.zeros(0, dtype=bool)
    track = np.cumsum(first_of_track) - 1  # 0, 1, 2... over the tracks left (undated ones dropped)
    claims["_track"] = track
    origin, span = (int(days.min()) if len(days) else 0), _span(days)
    claims["_day_key"] = _day_key(track, days, origin, span)
    claims["_track_first"] = first_of_track
    claims["_joint"] = _joint_groups(claims)

    daily = _winners(claims).drop_duplicates(["_track", "effective"], keep="first")
    changed = (daily["party"] != daily.groupby("_track")["party"].shift()) | \
              (daily["status"] != daily.groupby("_track")["status"].shift())
    daily = daily.assign(run=changed.cumsum())  # numbered across tracks: a new track starts a new run
    daily["run_start"] = daily.groupby("run")["effective"].transform("min")
    daily["run_rank"] = daily.groupby("run")["best_rank"].transform("first")
    on_day = claims[["_track", "effective"]].merge(
        daily[["_track", "effective", "party", "status", "confidence", "run", "run_start", "run_rank"]],
        on=["_track", "effective"], how="left")
    claims["day_party"] = on_day["party"].to_numpy()
    claims["day_status"] = on_day["status"].to_numpy()
    claims["day_confidence"] = on_day["confidence"].to_numpy()
    claims["run"] = on_day["run"].to_numpy()
    claims["run_start"] = on_day["run_start"].to_numpy()
    claims["run_rank"] = on_day["run_rank"].to_numpy()

    # Along each run: how many distinct reports back its holder so far, and where its backing claims are.
    backs = claims["party"].eq(claims["day_party"])  # a run has one holder, the winner of each of its days
    repeated = claims.loc[backs, ["run", "report_id"]].duplicated().reindex(claims.index, fill_value=True)
    claims["run_reports"] = (backs & ~repeated).astype(np.int64).groupby(claims["run"]).cumsum()
    claims["backs_run"] = backs
    claims["backing_seen"] = backs.astype(np.int64).cumsum() - 1  # position among the backing rows, for sources
    # The latest report date so far; a track whose claims carry none falls back on their own dates.
    reported = claims["report_day"].groupby(claims["_track"]).cummax().groupby(claims["_track"]).ffill()
    claims["last_report_so_far"] = reported.fillna(claims["effective"])
    claims.attrs.update(prepared=len(claims), day_origin=origin, day_span=span)
    return claims


def _precise_inside_span(days: np.ndarray, rank: np.ndarray, track: np.ndarray, frame: pd.DataFrame,
                         effective: np.ndarray) -> np.ndarray:
    """A vague claim ("since mid-2014") moves to the earliest more precise date inside its span of a
    claim of the same track, party and status ("took it on 21 June 2014"): that date is what is known."""
    vague = np.flatnonzero((rank > _DAY) & ~np.isnat(effective))
    if not len(vague):
        return days
    parties = frame["party"].to_numpy(dtype=object)
    status = frame["status"].to_numpy(dtype=object)
    finer: dict[tuple, list] = {}
    for row in np.flatnonzero(~np.isnat(effective)):
        finer.setdefault((track[row], parties[row], status[row]), []).append((days[row], rank[row]))
    out = days.copy()
    for row in vague:
        start, end = date_span(pd.Timestamp(effective[row]).date(), PRECISIONS[rank[row]])
        low, high = np.datetime64(start, "D").astype(np.int64), np.datetime64(end, "D").astype(np.int64)
        inside = [day for day, r in finer[(track[row], parties[row], status[row])]
                  if r < rank[row] and low <= day <= high]
        if inside:
            out[row] = min(inside)
    return out


def _joint_groups(claims: pd.DataFrame) -> np.ndarray:
    """A group number for claims that name several parties as one agent, else -1.

    Claims of one report, one sentence (span), one date, one rule and one track with status
    ``controls`` and different named parties: the extractor writes one claim per party of "rebels
    and Nusra fighters".
    """
    n = len(claims)
    candidate = (claims["status"].eq("controls") & claims["party"].ne(UNKNOWN) & ~claims["is_correction"]).to_numpy()
    out = np.full(n, -1, dtype=np.int64)
    if candidate.sum() < 2:
        return out
    sub = claims.loc[candidate, ["_track", "report_id", "span_start", "span_end", "effective", "rule_", "party"]]
    keys = ["_track", "report_id", "span_start", "span_end", "effective", "rule_"]
    shared = sub.duplicated(keys, keep=False)
    if not shared.any():
        return out
    sub = sub[shared]
    group = sub.groupby(keys, sort=False).ngroup()
    several = sub.groupby(group)["party"].transform("nunique").gt(1)
    out[np.flatnonzero(candidate)[shared.to_numpy()][several.to_numpy()]] = group[several].to_numpy()
    return out


def _span(days: np.ndarray) -> int:
    return int(days.max() - days.min() + 2) if len(days) else 2


def _day_key(track: np.ndarray, days: np.ndarray, first_day: int, span: int) -> np.ndarray:
    """One sortable integer per (track, date), in the order of the prepared claims."""
    return track * span + (days - first_day)


def _winners(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (track, date, party, status), the day's winner first: corrections, named holders, most reports."""
    # A named holder outranks "not government" and an unnamed holder reported on the same date.
    # Only the columns it needs: ``assign`` on all of them would copy the whole frame.
    scored = claims[["_track", "effective", "party", "status", "report_id", "is_correction", "confidence",
                     "precision_rank"]].assign(
        weight=np.where(claims["status"].eq("not-government"), 0.5,
                        np.where(claims["party"].eq(UNKNOWN), 0.75, 1.0)),
    )
    per_party = scored.groupby(["_track", "effective", "party", "status"], sort=False).agg(
        reports=("report_id", "nunique"), correction=("is_correction", "max"),
        confidence=("confidence", "max"), weight=("weight", "max"), best_rank=("precision_rank", "min"),
    ).reset_index()
    per_party = per_party.sort_values(
        ["_track", "effective", "correction", "weight", "reports", "confidence", "party"],
        ascending=[True, True, False, False, False, False, True], kind="mergesort")
    return per_party


def as_of(frame: pd.DataFrame, on: date | None = None, government_parties: Iterable[str] = ()) -> pd.DataFrame:
    r"""The state of every place with claims at or before ``on``: one row per place, each side inside.

    Parameters
    ----------
    frame : DataFrame
        Claims as :meth:`geodata.store.ClaimStore.claims_frame` returns them (or :func:`prepare`\ d,
        which a caller asking for many dates should do once).
    on : date, optional
        The as-of date; the latest date in the claims when omitted.
    government_parties : iterable of str
        Parties that count as "the government", so a ``not-government`` claim disagrees with them.

    Returns
    -------
    DataFrame
        :data:`STATE_COLUMNS`, one row per place: ``party`` (``split`` when the sides of a crossing
        are held by different parties), ``joint_with`` (parties holding jointly with it), ``status``
        (``controls``, ``not-government``, ``contested`` or ``split``), ``since`` (first date of the
        unbroken run, the start of its span) with ``since_precision`` and ``since_text``
        ("mid-2014"), ``last_report``, ``n_reports``, ``contested``, ``staleness_days``,
        ``holders`` (every party holding the place or a side of it), ``sides`` (a crossing's sides,
        :data:`SIDE_KEYS` each, in the gazetteer's order; empty for a one-track place) and
        ``sources`` (the distinct sentences behind the state, newest first).
    """
    tracks = _track_state(frame, on, set(government_parties))
    if tracks is None:
        return pd.DataFrame(columns=STATE_COLUMNS)
    return _places(tracks)


def _track_state(frame: pd.DataFrame, on: date | None, government: set[str]) -> pd.DataFrame | None:
    """One row per track with claims at or before ``on`` (None when there is none)."""
    claims = prepare(frame)
    if claims.empty:
        return None
    on_ts = pd.Timestamp(on) if on is not None else claims["effective"].max()
    # Each track's last claim at or before the date: one binary search per track.
    key = claims["_day_key"].to_numpy()
    starts = np.flatnonzero(claims["_track_first"].to_numpy())
    first_day, span = claims.attrs["day_origin"], claims.attrs["day_span"]
    offset = np.clip(np.datetime64(on_ts, "D").astype(np.int64) - first_day, -1, span - 1)
    last = np.searchsorted(key, _day_key(np.arange(len(starts), dtype=np.int64), first_day + offset, first_day, span),
                           side="right") - 1
    held = last >= starts
    if not held.any():
        return None
    last = last[held]
    rows = claims.iloc[last]
    day_first = np.searchsorted(key, key[last], side="left")
    day_rows = claims.iloc[_ranges(day_first, last + 1)]
    tracks = rows["_track"].to_numpy()
    day = _day_facts(day_rows, government).reindex(tracks)
    contested = day["contested"].fillna(False).to_numpy(dtype=bool)
    last_report = rows["last_report_so_far"]
    run_rank = rows["run_rank"].fillna(_DAY).to_numpy(dtype=np.int64)
    since = pd.to_datetime(rows["run_start"]).dt.date.to_numpy()
    state = pd.DataFrame({
        "_track": tracks,
        "place_id": rows["place_id"].to_numpy(),
        "place_name": rows["place_name"].to_numpy(),
        "kind": rows["kind"].to_numpy(),
        "side": [s or None for s in rows["track_side"]],
        "countries": _column(rows, "countries", default=""),
        "side_names": _column(rows, "side_names", default=""),
        "lat": pd.to_numeric(rows["lat"], errors="coerce").to_numpy(dtype=float),
        "lon": pd.to_numeric(rows["lon"], errors="coerce").to_numpy(dtype=float),
        "party": rows["day_party"].to_numpy(),
        "party_label": day["label"].to_numpy(),
        "joint_with": day["joint_with"].to_numpy(),
        "status": np.where(contested, "contested", rows["day_status"].to_numpy()),
        "contested": contested,
        "since": since,
        "since_precision": [PRECISIONS[r] for r in run_rank],
        "last_report": last_report.dt.date.to_numpy(),
        "latest": rows["effective"].dt.date.to_numpy(),
        "n_reports": rows["run_reports"].to_numpy(dtype=int),
        # A report published after the as-of date may speak of an event before it: not stale at all.
        "staleness_days": (on_ts - last_report).dt.days.clip(lower=0).astype(int).to_numpy(),
        "confidence": rows["day_confidence"].to_numpy(),
        "parties": day["parties"].to_numpy(),
    })
    state["since_text"] = [describe_date(d, p) for d, p in zip(state["since"], state["since_precision"])]
    sources = _sources(claims, day_rows, rows).reindex(tracks)
    state["sources"] = [s if isinstance(s, list) else [] for s in sources]
    return state


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The row positions ``start..stop-1`` of every pair, concatenated (vectorised ``np.r_``)."""
    lengths = stops - starts
    if lengths.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(stops - lengths.cumsum(), lengths)
    return np.arange(lengths.sum()) + offsets


def _allies(day_rows: pd.DataFrame) -> dict[tuple, set]:
    """(track, party) -> the parties it holds jointly with on that day (from the joint groups)."""
    allies: dict[tuple, set] = {}
    joint = day_rows[day_rows["_joint"].to_numpy() >= 0]
    for (track, _), parties in joint.groupby(["_track", "_joint"])["party"]:
        members = set(parties)
        for party in members:
            allies.setdefault((track, party), set()).update(members - {party})
    return allies


def _day_facts(day_rows: pd.DataFrame, government: set[str]) -> pd.DataFrame:
    """Per track, from the claims of its latest date: the winner's label and allies, disagreement, parties named."""
    corrected = day_rows.groupby("_track")["is_correction"].transform("max")
    considered = day_rows[~corrected | day_rows["is_correction"]]
    named = considered[considered["status"].eq("controls") & considered["party"].ne(UNKNOWN)]
    # An unnamed holder may be any named one, so it disagrees with none; joint holders agree.
    holders = named.groupby("_track")["party"].nunique()
    allies = _allies(considered)
    tracks = pd.Index(day_rows["_track"].unique())
    disagree = set()
    for track in holders.index[holders.to_numpy() > 1]:
        parties = sorted(set(named.loc[named["_track"].eq(track), "party"]))
        if len(_components(parties, lambda p, track=track: allies.get((track, p), set()))) > 1:
            disagree.add(track)
    notgov = set(considered.loc[considered["status"].eq("not-government"), "_track"])
    gov = set(named.loc[named["party"].isin(government), "_track"])
    explicit = set(considered.loc[considered["status"].eq("contested"), "_track"])
    contested = pd.Series(tracks.isin(list(disagree | (notgov & gov) | explicit)), index=tracks)
    winners = day_rows[day_rows["party"].eq(day_rows["day_party"])]
    label = winners.groupby("_track")["party_label"].last().reindex(tracks)
    winner_of = winners.groupby("_track")["party"].first().reindex(tracks)
    joint_with = pd.Series([sorted(allies.get((t, p), ())) for t, p in zip(tracks, winner_of)], index=tracks,
                           dtype=object)
    named_by_track: dict = {}
    for track, party in zip(considered["_track"], considered["party"]):
        named_by_track.setdefault(track, set()).add(party)
    parties = pd.Series({track: sorted(named) for track, named in named_by_track.items()}, dtype=object)
    return pd.DataFrame({"contested": contested, "label": label.fillna(winner_of),
                         "joint_with": joint_with, "parties": parties.reindex(tracks)})


def _components(items: list, neighbours) -> list[set]:
    """Connected groups of ``items`` under ``neighbours`` (joint holders are one group)."""
    left, groups = set(items), []
    while left:
        stack, group = [left.pop()], set()
        while stack:
            item = stack.pop()
            group.add(item)
            for other in neighbours(item) & left:
                left.discard(other)
                stack.append(other)
        groups.append(group)
    return groups


def _sources(claims: pd.DataFrame, day_rows: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The claims behind each track's state, newest first: every claim on its latest date, then its run's.

    One entry per distinct sentence: the parties it names for the place are listed together.
    """
    backing = np.flatnonzero(claims["backs_run"].to_numpy())
    seen = rows["backing_seen"].to_numpy()
    run_of = claims["run"].to_numpy()
    window = 2 * MAX_SOURCES  # room for sentences that repeat (allies named together, syndicated copies)
    take = _ranges(np.maximum(seen - window + 1, 0), seen + 1)
    picked = backing[take]
    picked = picked[run_of[picked] == np.repeat(rows["run"].to_numpy(), np.minimum(seen + 1, window))]
    both = pd.concat([day_rows, claims.iloc[picked]])
    both = both[~both.index.duplicated()]
    both = both.iloc[np.lexsort((-both.index.to_numpy(), -both["effective"].to_numpy().astype(np.int64),
                                 both["_track"].to_numpy()))]
    precision = _column(both, "event_precision")
    side = _column(both, "side")
    grouped: dict = {}
    where: dict = {}
    columns = [both[c].to_numpy(dtype=object) for c in ("_track", "source", "url", "report_date", "event_date")]
    columns += [precision] + [both[c].to_numpy(dtype=object) for c in ("evidence", "party", "status")]
    columns += [side, both["claim_key"].to_numpy(dtype=object), both["confidence"].to_numpy()]
    for track, source, url, report, event, prec, evidence, party, status, own_side, key, confidence in zip(*columns):
        items = grouped.setdefault(track, [])
        known = where.setdefault(track, {})
        if evidence in known:  # the same sentence again (allies named together, or a syndicated copy)
            entry = known[evidence]
            if party not in entry["parties"]:
                entry["parties"].append(party)
            continue
        if len(items) >= MAX_SOURCES:
            continue
        entry = {"source": source, "url": url, "report_date": _iso(report), "event_date": _iso(event),
                 "event_precision": (prec if isinstance(prec, str) else "day") if _iso(event) else None,
                 "evidence": evidence, "party": party, "parties": [party], "status": status,
                 "side": own_side if isinstance(own_side, str) and own_side else None, "claim_key": key,
                 "confidence": confidence}
        entry["event_text"] = describe_date(event, entry["event_precision"]) if entry["event_date"] else None
        known[evidence] = entry
        items.append(entry)
    return pd.Series(grouped, dtype=object)


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


# -- the whole crossing, from its sides -------------------------------------------------------------
def _side_entry(row: dict | None, side: str, side_name: str) -> dict:
    if row is None:
        return {key: None for key in SIDE_KEYS} | {"side": side, "side_name": side_name, "contested": False,
                                                    "joint_with": [], "parties": []}
    entry = {key: row.get(key) for key in SIDE_KEYS}
    entry.update(side=side, side_name=side_name)
    return entry


def _places(tracks: pd.DataFrame) -> pd.DataFrame:
    """One row per place: a one-track place's own state, or a crossing's derived from its sides."""
    multi = tracks["side"].notna().groupby(tracks["place_id"]).transform("any").to_numpy(dtype=bool)
    single = tracks[~multi].drop(columns=["_track"]).assign(
        split=False, sides=[[] for _ in range(int((~multi).sum()))])
    single["holders"] = [sorted({p, *j} - {UNKNOWN}) if s != "not-government" else []
                         for p, j, s in zip(single["party"], single["joint_with"], single["status"])]
    derived = [_derive(group) for _, group in tracks[multi].groupby("place_id", sort=True)]
    out = pd.concat([single, pd.DataFrame(derived)], ignore_index=True) if derived else single
    out["place"] = out["place_name"]
    out = out.sort_values("place_id", kind="mergesort").reset_index(drop=True)
    return out[STATE_COLUMNS]


def _derive(group: pd.DataFrame) -> dict:
    """A crossing's whole state from its sides' rows: the common holder, or ``split``."""
    rows = {row["side"]: row for row in group.to_dict("records")}
    first = next(iter(rows.values()))
    countries = [c for c in (first.get("countries") or "").split("|") if c]
    names = (first.get("side_names") or "").split("|")
    order = countries + sorted(set(rows) - set(countries) - {None})
    side_name = {c: (names[i] if i < len(names) and names[i] else c) for i, c in enumerate(countries)}
    sides = [_side_entry(rows.get(side), side, side_name.get(side, side)) for side in order]
    known = [rows[side] for side in order if side in rows]
    holdings = {(row["party"], row["status"] if row["status"] != "contested" else "controls") for row in known}
    latest_change = max(known, key=lambda row: (row["since"], -PRECISIONS.index(row["since_precision"])))
    whole = dict(latest_change)
    whole.update(side=None, split=len(holdings) > 1, sides=sides,
                 contested=any(row["contested"] for row in known),
                 last_report=max(row["last_report"] for row in known),
                 latest=max(row["latest"] for row in known),
                 staleness_days=min(row["staleness_days"] for row in known),
                 n_reports=max(row["n_reports"] for row in known),
                 confidence=min(row["confidence"] for row in known),
                 parties=sorted({p for row in known for p in (row["parties"] or [])}),
                 joint_with=sorted({p for row in known for p in row["joint_with"]}))
    whole["holders"] = sorted({p for row in known if row["status"] != "not-government"
                               for p in (row["party"], *row["joint_with"])} - {UNKNOWN})
    if whole["split"]:
        whole.update(party=SPLIT, status=SPLIT, party_label=" / ".join(
            f"{entry['side_name']}: {entry['party_label'] or 'no report'}" for entry in sides))
    elif whole["contested"]:
        whole["status"] = "contested"
    whole["sources"] = _merge_sources([row["sources"] for row in known])
    return whole


def _merge_sources(lists: list[list[dict]]) -> list[dict]:
    """Several sides' sources as one list, newest first, each sentence once."""
    merged: dict[str, dict] = {}
    for entry in sorted((e for items in lists for e in items),
                        key=lambda e: (e["event_date"] or e["report_date"] or ""), reverse=True):
        if entry["evidence"] in merged:
            parties = merged[entry["evidence"]]["parties"]
            parties.extend(p for p in entry["parties"] if p not in parties)
        elif len(merged) < MAX_SOURCES:
            merged[entry["evidence"]] = dict(entry, parties=list(entry["parties"]))
    return list(merged.values())


# -- history -------------------------------------------------------------------------------------
PERIOD_COLUMNS = ["party", "status", "start", "end", "reports", "start_precision", "side"]


def periods(frame: pd.DataFrame, place_id: str, side: str | None = None) -> pd.DataFrame:
    """Control periods of one place (or of one ``side`` of a crossing): ``party``, ``status``,
    ``start`` (with ``start_precision``), ``end`` (the next change, or the last date), ``reports``.

    For a crossing with sides and no ``side`` given, the whole crossing's periods: a period of
    ``split`` wherever the sides are held by different parties.
    """
    claims = prepare(frame)
    claims = claims[claims["place_id"] == place_id]
    if side is not None:
        claims = claims[claims["track_side"] == side]
    if claims.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    daily = _winners(claims).drop_duplicates(["_track", "effective"], keep="first")
    daily = daily.merge(claims[["_track", "track_side"]].drop_duplicates("_track"), on="_track")
    if daily["_track"].nunique() > 1:  # the whole crossing: each date's holders of every side
        holding = daily.pivot_table(index="effective", columns="track_side", values="party", aggfunc="first").ffill()
        states = daily.pivot_table(index="effective", columns="track_side", values="status", aggfunc="first").ffill()
        per_day = pd.DataFrame({
            "effective": holding.index,
            "party": [row.dropna().iloc[0] if row.dropna().nunique() == 1 else SPLIT for _, row in holding.iterrows()],
            "status": [s.dropna().iloc[0] if h.dropna().nunique() == 1 else SPLIT
                       for (_, h), (_, s) in zip(holding.iterrows(), states.iterrows())],
            "reports": daily.groupby("effective")["reports"].sum().reindex(holding.index).to_numpy(),
            "best_rank": daily.groupby("effective")["best_rank"].min().reindex(holding.index).to_numpy(),
        })
        daily, track_side = per_day, None
    else:
        track_side = daily["track_side"].iloc[0] or None
    changed = (daily["party"] != daily["party"].shift()) | (daily["status"] != daily["status"].shift())
    daily = daily.assign(run=changed.cumsum())
    runs = daily.groupby("run").agg(party=("party", "first"), status=("status", "first"),
                                    start=("effective", "min"), last=("effective", "max"),
                                    reports=("reports", "sum"), rank=("best_rank", "first"))
    runs["end"] = runs["start"].shift(-1).fillna(runs["last"])
    runs["start"] = runs["start"].dt.date
    runs["end"] = runs["end"].dt.date
    runs["start_precision"] = [PRECISIONS[int(r)] for r in runs["rank"]]
    runs["side"] = side if side is not None else track_side
    return runs[PERIOD_COLUMNS].reset_index(drop=True)


def timeline_dates(frame: pd.DataFrame) -> list[date]:
    """Distinct report dates in the claims, ascending (the slider's steps)."""
    days = pd.to_datetime(frame["report_date"], errors="coerce").dropna().dt.date.unique()
    return sorted(days)
