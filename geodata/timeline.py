"""As-of state: who held each place on a date, since when, how sure, from the claims (pure, vectorised)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

STATE_COLUMNS = [
    "place_id", "place", "kind", "side", "lat", "lon", "party", "party_label", "status", "contested",
    "since", "last_report", "latest", "n_reports", "staleness_days", "confidence", "parties", "sources",
]
MAX_SOURCES = 12
UNKNOWN = "unknown"  # an unnamed holder: it may be any named one, so it disagrees with none


def effective_dates(frame: pd.DataFrame) -> pd.Series:
    """Each claim's date on the timeline: its event date, else its report date (datetime64)."""
    event = pd.to_datetime(frame["event_date"], errors="coerce")
    report = pd.to_datetime(frame["report_date"], errors="coerce")
    return event.fillna(report)


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort the claims once and work out everything about them that does not depend on the as-of date.

    Who won each (place, date), where each run of the same holder starts, and running counts
    along each place's history: :func:`as_of` then finds each place's last claim before a date
    with one binary search and reads its state off that row. Claims with no date at all cannot
    be placed on the timeline and are left out.
    """
    if frame.attrs.get("prepared") == len(frame) and "effective" in frame.columns:
        return frame
    effective = effective_dates(frame).to_numpy()
    is_correction = (frame["construction"].eq("correction").to_numpy(dtype=bool) if "construction" in frame
                     else np.zeros(len(frame), dtype=bool))
    place_code = pd.factorize(frame["place_id"], sort=True)[0].astype(np.int64)
    days = effective.astype("datetime64[D]").astype(np.int64)  # NaT becomes the smallest integer
    # One stable sort by place, date, corrections last, and one copy of the frame (a million claims
    # take half a gigabyte; copying, filtering and sorting in turn held three of them at once).
    order = np.lexsort((is_correction, days, place_code))
    order = order[~np.isnat(effective[order])]
    if np.array_equal(order, np.arange(len(order))):  # already in order, as the store reads claims
        claims = frame.iloc[:len(order)].copy(deep=False)  # new columns go on this frame only
    else:
        claims = frame.take(order)
    claims.index = pd.RangeIndex(len(claims))
    claims["effective"] = effective[order]
    claims["report_day"] = pd.to_datetime(claims["report_date"], errors="coerce")
    claims["is_correction"] = is_correction[order]
    place_code, days = place_code[order], days[order]
    first_of_place = np.r_[True, place_code[1:] != place_code[:-1]] if len(days) else np.zeros(0, dtype=bool)
    place_code = np.cumsum(first_of_place) - 1  # 0, 1, 2... over the places left (undated ones dropped)
    origin, span = (int(days.min()) if len(days) else 0), _span(days)
    claims["_day_key"] = _day_key(place_code, days, origin, span)
    claims["_place_first"] = first_of_place

    daily = _winners(claims).drop_duplicates(["place_id", "effective"], keep="first")
    changed = (daily["party"] != daily.groupby("place_id")["party"].shift()) | \
              (daily["status"] != daily.groupby("place_id")["status"].shift())
    daily = daily.assign(run=changed.cumsum())  # numbered across places: a new place starts a new run
    daily["run_start"] = daily.groupby("run")["effective"].transform("min")
    on_day = claims[["place_id", "effective"]].merge(
        daily[["place_id", "effective", "party", "status", "confidence", "run", "run_start"]],
        on=["place_id", "effective"], how="left")
    claims["day_party"] = on_day["party"].to_numpy()
    claims["day_status"] = on_day["status"].to_numpy()
    claims["day_confidence"] = on_day["confidence"].to_numpy()
    claims["run"] = on_day["run"].to_numpy()
    claims["run_start"] = on_day["run_start"].to_numpy()

    # Along each run: how many distinct reports back its holder so far, and where its backing claims are.
    backs = claims["party"].eq(claims["day_party"])  # a run has one holder, the winner of each of its days
    repeated = claims.loc[backs, ["run", "report_id"]].duplicated().reindex(claims.index, fill_value=True)
    claims["run_reports"] = (backs & ~repeated).astype(np.int64).groupby(claims["run"]).cumsum()
    claims["backs_run"] = backs
    claims["backing_seen"] = backs.astype(np.int64).cumsum() - 1  # position among the backing rows, for sources
    # The latest report date so far; a place whose claims carry none falls back on their own dates.
    reported = claims["report_day"].groupby(claims["place_id"]).cummax().groupby(claims["place_id"]).ffill()
    claims["last_report_so_far"] = reported.fillna(claims["effective"])
    claims.attrs.update(prepared=len(claims), day_origin=origin, day_span=span)
    return claims


def _span(days: np.ndarray) -> int:
    return int(days.max() - days.min() + 2) if len(days) else 2


def _day_key(place_code: np.ndarray, days: np.ndarray, first_day: int, span: int) -> np.ndarray:
    """One sortable integer per (place, date), in the order of the prepared claims."""
    return place_code * span + (days - first_day)


def _winners(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (place, date, party, status), the day's winner first: corrections, named holders, most reports."""
    # A named holder outranks "not government" and an unnamed holder reported on the same date.
    # Only the columns it needs: ``assign`` on all of them would copy the whole frame.
    scored = claims[["place_id", "effective", "party", "status", "report_id", "is_correction", "confidence"]].assign(
        weight=np.where(claims["status"].eq("not-government"), 0.5,
                        np.where(claims["party"].eq(UNKNOWN), 0.75, 1.0)),
    )
    per_party = scored.groupby(["place_id", "effective", "party", "status"], sort=False).agg(
        reports=("report_id", "nunique"), correction=("is_correction", "max"),
        confidence=("confidence", "max"), weight=("weight", "max"),
    ).reset_index()
    per_party = per_party.sort_values(
        ["place_id", "effective", "correction", "weight", "reports", "confidence", "party"],
        ascending=[True, True, False, False, False, False, True], kind="mergesort")
    return per_party


def as_of(frame: pd.DataFrame, on: date | None = None, government_parties: Iterable[str] = ()) -> pd.DataFrame:
    r"""The state of every place with claims at or before ``on``.

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
        One row per place: ``party``, ``status`` (``controls``, ``not-government`` or ``contested``),
        ``since`` (first date of the unbroken run of that party), ``last_report``, ``n_reports``,
        ``contested``, ``staleness_days`` and ``sources`` (claims behind the state, newest first).
    """
    claims = prepare(frame)
    if claims.empty:
        return pd.DataFrame(columns=STATE_COLUMNS)
    on_ts = pd.Timestamp(on) if on is not None else claims["effective"].max()
    # Each place's last claim at or before the date: one binary search per place.
    key = claims["_day_key"].to_numpy()
    starts = np.flatnonzero(claims["_place_first"].to_numpy())
    first_day, span = claims.attrs["day_origin"], claims.attrs["day_span"]
    offset = np.clip(np.datetime64(on_ts, "D").astype(np.int64) - first_day, -1, span - 1)
    last = np.searchsorted(key, _day_key(np.arange(len(starts), dtype=np.int64), first_day + offset, first_day, span),
                           side="right") - 1
    held = last >= starts
    if not held.any():
        return pd.DataFrame(columns=STATE_COLUMNS)
    last = last[held]
    rows = claims.iloc[last]
    day_first = np.searchsorted(key, key[last], side="left")
    day_rows = claims.iloc[_ranges(day_first, last + 1)]
    day = _day_facts(day_rows, set(government_parties))

    place_ids = rows["place_id"].to_numpy()
    contested = day["contested"].reindex(place_ids).fillna(False).to_numpy(dtype=bool)
    last_report = rows["last_report_so_far"]
    state = pd.DataFrame({
        "place_id": place_ids,
        "place": rows["place"].to_numpy(),
        "kind": rows["kind"].to_numpy(),
        "side": None,
        "lat": rows["lat"].to_numpy(),
        "lon": rows["lon"].to_numpy(),
        "party": rows["day_party"].to_numpy(),
        "party_label": day["label"].reindex(place_ids).to_numpy(),
        "status": np.where(contested, "contested", rows["day_status"].to_numpy()),
        "contested": contested,
        "since": pd.to_datetime(rows["run_start"]).dt.date.to_numpy(),
        "last_report": last_report.dt.date.to_numpy(),
        "latest": rows["effective"].dt.date.to_numpy(),
        "n_reports": rows["run_reports"].to_numpy(dtype=int),
        # A report published after the as-of date may speak of an event before it: not stale at all.
        "staleness_days": (on_ts - last_report).dt.days.clip(lower=0).astype(int).to_numpy(),
        "confidence": rows["day_confidence"].to_numpy(),
        "parties": day["parties"].reindex(place_ids).to_numpy(),
    })
    sources = _sources(claims, day_rows, rows).reindex(place_ids)
    state["sources"] = [s if isinstance(s, list) else [] for s in sources]
    return state[STATE_COLUMNS]


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The row positions ``start..stop-1`` of every pair, concatenated (vectorised ``np.r_``)."""
    lengths = stops - starts
    if lengths.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(stops - lengths.cumsum(), lengths)
    return np.arange(lengths.sum()) + offsets


def _day_facts(day_rows: pd.DataFrame, government: set[str]) -> pd.DataFrame:
    """Per place, from the claims of its latest date: the winner's label, disagreement, parties named."""
    corrected = day_rows.groupby("place_id")["is_correction"].transform("max")
    considered = day_rows[~corrected | day_rows["is_correction"]]
    named = considered[considered["status"].eq("controls")]
    # An unnamed holder may be any named one, so it disagrees with none.
    holders = named[named["party"].ne(UNKNOWN)].groupby("place_id")["party"].nunique()
    notgov = set(considered.loc[considered["status"].eq("not-government"), "place_id"])
    gov = set(named.loc[named["party"].isin(government), "place_id"])
    places = pd.Index(day_rows["place_id"].unique())
    contested = (holders > 1).reindex(places, fill_value=False) | places.to_series(index=places).isin(notgov & gov)
    winners = day_rows[day_rows["party"].eq(day_rows["day_party"])]
    label = winners.groupby("place_id")["party_label"].last().reindex(places)
    named_by_place: dict[str, set] = {}
    for place, party in zip(considered["place_id"], considered["party"]):
        named_by_place.setdefault(place, set()).add(party)
    parties = pd.Series({place: sorted(named) for place, named in named_by_place.items()}, dtype=object)
    return pd.DataFrame({"contested": contested, "label": label.fillna(pd.Series(places, index=places)),
                         "parties": parties.reindex(places)})


def _sources(claims: pd.DataFrame, day_rows: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The claims behind each place's state, newest first: every claim on its latest date, then its run's."""
    backing = np.flatnonzero(claims["backs_run"].to_numpy())
    seen = rows["backing_seen"].to_numpy()
    run_of = claims["run"].to_numpy()
    take = _ranges(np.maximum(seen - MAX_SOURCES + 1, 0), seen + 1)
    picked = backing[take]
    picked = picked[run_of[picked] == np.repeat(rows["run"].to_numpy(), np.minimum(seen + 1, MAX_SOURCES))]
    both = pd.concat([day_rows, claims.iloc[picked]])
    both = both[~both.index.duplicated()]
    both = both.iloc[np.lexsort((-both.index.to_numpy(), -both["effective"].to_numpy().astype(np.int64),
                                 pd.factorize(both["place_id"], sort=True)[0]))]
    both = both.groupby("place_id", sort=False).head(MAX_SOURCES)
    columns = ["source", "url", "report_date", "event_date", "evidence", "party", "status", "claim_key", "confidence"]
    dates = {c: [d.isoformat() if isinstance(d, date) else None for d in both[c]]
             for c in ("report_date", "event_date")}
    values = [dates[c] if c in dates else both[c].tolist() for c in columns]
    grouped: dict[str, list[dict]] = {}
    for place, *record in zip(both["place_id"], *values):
        grouped.setdefault(place, []).append(dict(zip(columns, record)))
    return pd.Series(grouped, dtype=object)


def periods(frame: pd.DataFrame, place_id: str) -> pd.DataFrame:
    """Control periods of one place: ``party``, ``status``, ``start``, ``end`` (next change or last date)."""
    claims = prepare(frame)
    claims = claims[claims["place_id"] == place_id]
    if claims.empty:
        return pd.DataFrame(columns=["party", "status", "start", "end", "reports"])
    daily = _winners(claims).drop_duplicates(["place_id", "effective"], keep="first")
    changed = (daily["party"] != daily["party"].shift()) | (daily["status"] != daily["status"].shift())
    daily = daily.assign(run=changed.cumsum())
    runs = daily.groupby("run").agg(party=("party", "first"), status=("status", "first"),
                                    start=("effective", "min"), last=("effective", "max"),
                                    reports=("reports", "sum"))
    runs["end"] = runs["start"].shift(-1).fillna(runs["last"])
    runs["start"] = runs["start"].dt.date
    runs["end"] = runs["end"].dt.date
    return runs[["party", "status", "start", "end", "reports"]].reset_index(drop=True)


def timeline_dates(frame: pd.DataFrame) -> list[date]:
    """Distinct report dates in the claims, ascending (the slider's steps)."""
    days = pd.to_datetime(frame["report_date"], errors="coerce").dropna().dt.date.unique()
    return sorted(days)
