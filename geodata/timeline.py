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
    """Add the ``effective`` date and sort once, so repeated :func:`as_of` calls only filter.

    Claims with no date at all cannot be placed on the timeline and are left out.
    """
    if "effective" in frame.columns and frame.attrs.get("prepared"):
        return frame
    prepared = frame.copy()
    prepared["effective"] = effective_dates(prepared)
    prepared = prepared[prepared["effective"].notna()]
    prepared["report_day"] = pd.to_datetime(prepared["report_date"], errors="coerce")
    prepared["is_correction"] = prepared.get("construction", pd.Series("", index=prepared.index)).eq("correction")
    prepared = prepared.sort_values(["place_id", "effective", "is_correction"], kind="mergesort")
    prepared = prepared.reset_index(drop=True)
    prepared.attrs["prepared"] = True
    return prepared


def _winners(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (place, date): the party most reports back, corrections first, then confidence."""
    # A named holder outranks "not government" and an unnamed holder reported on the same date.
    scored = claims.assign(
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
        Claims as :meth:`geodata.store.ClaimStore.claims_frame` returns them (or :func:`prepare`\\ d).
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
    if on is not None:
        claims = claims[claims["effective"] <= pd.Timestamp(on)]
    if claims.empty:
        return pd.DataFrame(columns=STATE_COLUMNS)
    on_ts = pd.Timestamp(on) if on is not None else claims["effective"].max()

    ranked = _winners(claims)
    daily = ranked.drop_duplicates(["place_id", "effective"], keep="first")
    # Runs of the same holder: a new run starts where the party changes from one date to the next.
    changed = (daily["party"] != daily.groupby("place_id")["party"].shift()) | \
              (daily["status"] != daily.groupby("place_id")["status"].shift())
    daily = daily.assign(run=changed.groupby(daily["place_id"]).cumsum())
    last_run = daily.groupby("place_id")["run"].transform("max")
    current_days = daily[daily["run"] == last_run]
    since = current_days.groupby("place_id")["effective"].min()
    latest = daily.groupby("place_id").tail(1).set_index("place_id")

    # Disagreement on the latest date: two named holders, or "not government" against the government.
    latest_dates = claims.groupby("place_id")["effective"].transform("max")
    at_latest = claims[claims["effective"] == latest_dates]
    corrected = at_latest.groupby("place_id")["is_correction"].transform("max")
    at_latest = at_latest[~corrected | at_latest["is_correction"]]
    named = at_latest[at_latest["status"].eq("controls")]
    holders = named[named["party"].ne(UNKNOWN)].groupby("place_id")["party"].nunique()
    government = set(government_parties)
    notgov_places = set(at_latest.loc[at_latest["status"].eq("not-government"), "place_id"])
    gov_places = set(named.loc[named["party"].isin(government), "place_id"])
    contested = (holders > 1).reindex(latest.index, fill_value=False)
    contested |= latest.index.to_series().isin(notgov_places & gov_places)
    parties_at_latest = at_latest.groupby("place_id")["party"].agg(lambda s: sorted(set(s)))

    run_claims = claims.merge(since.rename("since_ts"), left_on="place_id", right_index=True)
    run_claims = run_claims[(run_claims["effective"] >= run_claims["since_ts"])
                            & (run_claims["party"] == run_claims["place_id"].map(latest["party"]))]
    n_reports = run_claims.groupby("place_id")["report_id"].nunique()
    last_report = claims.groupby("place_id")["report_day"].max().fillna(claims.groupby("place_id")["effective"].max())

    first = claims.groupby("place_id").tail(1).set_index("place_id")
    label = claims.drop_duplicates(["place_id", "party"], keep="last").set_index(["place_id", "party"])["party_label"]
    state = pd.DataFrame({
        "place_id": latest.index,
        "place": first["place"].reindex(latest.index).values,
        "kind": first["kind"].reindex(latest.index).values,
        "side": None,
        "lat": first["lat"].reindex(latest.index).values,
        "lon": first["lon"].reindex(latest.index).values,
        "party": latest["party"].values,
        "party_label": [label.get((p, party), party) for p, party in zip(latest.index, latest["party"])],
        "status": np.where(contested.values, "contested", latest["status"].values),
        "contested": contested.values.astype(bool),
        "since": since.reindex(latest.index).dt.date.values,
        "last_report": last_report.reindex(latest.index).dt.date.values,
        "latest": latest["effective"].dt.date.values,
        "n_reports": n_reports.reindex(latest.index, fill_value=0).astype(int).values,
        # A report published after the as-of date may speak of an event before it: not stale at all.
        "staleness_days": (on_ts - last_report.reindex(latest.index)).dt.days.clip(lower=0).astype(int).values,
        "confidence": latest["confidence"].values,
        "parties": parties_at_latest.reindex(latest.index).values,
    })
    state["sources"] = _sources(at_latest, run_claims).reindex(latest.index).values
    state["sources"] = state["sources"].apply(lambda s: s if isinstance(s, list) else [])
    return state.reset_index(drop=True)[STATE_COLUMNS]


def _sources(at_latest: pd.DataFrame, run_claims: pd.DataFrame) -> pd.Series:
    """The claims behind each place's state: every claim on the latest date, then the run's."""
    both = pd.concat([at_latest, run_claims], ignore_index=True)
    both = both.drop_duplicates("claim_key").sort_values(["place_id", "effective"], ascending=[True, False])
    both = both.groupby("place_id").head(MAX_SOURCES)
    columns = ["source", "url", "report_date", "event_date", "evidence", "party", "status", "claim_key", "confidence"]
    records = both[["place_id", *columns]].copy()
    for column in ("report_date", "event_date"):
        # object dtype: a str column would turn a missing date into NaN instead of None
        records[column] = pd.Series([d.isoformat() if isinstance(d, date) else None for d in records[column]],
                                    index=records.index, dtype=object)
    # One pass over the rows; a groupby-apply costs a pandas call per place (seconds for 10,000 places).
    grouped: dict[str, list[dict]] = {}
    for place, record in zip(records["place_id"], records[columns].to_dict("records")):
        grouped.setdefault(place, []).append(record)
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
