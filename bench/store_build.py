"""Fill a store quickly for the dashboard figures (setup, not measured): the store's schema, bulk rows.

The store's own writer is measured by the ``ingest`` figure; building a store of a million claims
through it would only make the dashboard figure slower to set up. The rows are exactly what
:meth:`geodata.store.ClaimStore.add_reports` writes (ISO dates, one report row per report id).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd

from geodata.store import CLAIM_COLUMNS, ClaimStore


def _iso(value):
    return value.isoformat() if isinstance(value, date) else None


def build_store(path: str | Path, frame: pd.DataFrame) -> Path:
    """Create a store at ``path`` holding the claims of ``frame`` (as :func:`bench.generate.claims_frame` makes)."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    ClaimStore(path).close()  # schema and meta, by the store itself
    reports = frame.drop_duplicates("report_id")[["report_id", "url", "source", "report_date"]]
    report_rows = [(rid, url, source, "", f"bench {rid[:12]}", _iso(day), f"Bench report {rid[:12]}.", 1, None,
                    "2024-01-01 00:00:00.000000")
                   for rid, url, source, day in reports.itertuples(index=False, name=None)]
    columns = [c for c in CLAIM_COLUMNS]
    # The store keeps ids only (schema 2): the frame's place facts go in ``places``, once per place.
    data = frame.rename(columns={"claim_key": "key"}).reindex(columns=columns).copy()
    data["event_date"] = [_iso(d) for d in data["event_date"]]
    data = data.astype(object).where(data.notna(), None)
    place_rows = [(pid, name, kind, float(lat), float(lon), "", "") for pid, name, kind, lat, lon in
                  frame.drop_duplicates("place_id")[["place_id", "place_name", "kind", "lat", "lon"]].itertuples(
                      index=False, name=None)]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.executemany(
            "INSERT INTO reports (report_id, url, source, title, name, report_date, text, version, superseded_by,"
            " ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", report_rows)
        conn.executemany("INSERT INTO places (id, name, kind, lat, lon, countries, side_names) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?)", place_rows)
        conn.executemany(f"INSERT INTO claims ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         data.itertuples(index=False, name=None))
    conn.close()
    return path
