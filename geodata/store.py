"""The claims store: reports, claims and analyst corrections in SQLite (or any SQLAlchemy database).

The only writer of stored data. Every report goes in with its claims in one transaction, so a
crash leaves it fully in or fully out; the same content twice adds nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DatabaseError, OperationalError

from geodata.claims import Claim

SCHEMA_VERSION = 1
DEFAULT_DB = "borderwatch.db"
ENV_DB = "BORDERWATCH_DB"

metadata = sa.MetaData()
meta = sa.Table("meta", metadata, sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", sa.Text, nullable=False))
reports = sa.Table(
    "reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report_id", sa.String(64), nullable=False, unique=True),
    sa.Column("url", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("report_date", sa.Date),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("superseded_by", sa.String(64)),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)
claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("claim_key", sa.String(40), nullable=False),
    sa.Column("report_id", sa.String(64), sa.ForeignKey("reports.report_id"), nullable=False),
    sa.Column("place_id", sa.String(120), nullable=False),
    sa.Column("place", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("side", sa.String(8)),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("party_label", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("report_date", sa.Date),
    sa.Column("event_date", sa.Date),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("url", sa.Text, nullable=False, default=""),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("span_start", sa.Integer, nullable=False),
    sa.Column("span_end", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("extractor_version", sa.String(32), nullable=False),
    sa.Column("construction", sa.String(40), nullable=False, default=""),
    sa.Index("ix_claims_place", "place_id"),
    sa.Index("ix_claims_report", "report_id"),
    sa.UniqueConstraint("report_id", "claim_key", name="uq_claims_report_key"),
)
corrections = sa.Table(
    "corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(16), nullable=False),  # "reject" | "set"
    sa.Column("claim_key", sa.String(40)),
    sa.Column("place_id", sa.String(120)),
    sa.Column("party", sa.String(64)),
    sa.Column("status", sa.String(20)),
    sa.Column("event_date", sa.Date),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("author", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

CLAIM_COLUMNS = [c.name for c in claims.columns if c.name != "id"]


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message says why in one line."""


@dataclass(frozen=True)
class IngestResult:
    """What one ingest added: new reports, new versions of known urls, duplicates skipped, claims."""

    added: int = 0
    versions: int = 0
    duplicates: int = 0
    claims: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.added + other.added, self.versions + other.versions,
                            self.duplicates + other.duplicates, self.claims + other.claims)


def resolve_db(db: str | os.PathLike | None) -> str:
    """The database the user means: ``--db``, else ``$BORDERWATCH_DB``, else ``./borderwatch.db``."""
    return str(db or os.environ.get(ENV_DB) or DEFAULT_DB)


def _url_for(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).expanduser()}"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ClaimStore:
    """Reports, claims and corrections in one database.

    Parameters
    ----------
    db : str or path
        A SQLite file path or a SQLAlchemy URL (``postgresql://...``).
    create : bool
        Create the file and schema when missing; otherwise a missing file is an error.
    """

    def __init__(self, db: str | os.PathLike, create: bool = True):
        self.db = str(db)
        is_file = "://" not in self.db
        if is_file:
            path = Path(self.db).expanduser()
            if not path.exists() and not create:
                raise StoreError(f"{self.db}: no such store (run 'borderwatch extract ... --db {self.db}' first)")
            if path.exists() and path.is_file() and path.stat().st_size > 0:
                with open(path, "rb") as handle:
                    if handle.read(16) != b"SQLite format 3\x00":
                        raise StoreError(f"{self.db}: not a SQLite database")
            if create and not path.parent.exists():
                raise StoreError(f"{self.db}: folder {path.parent} does not exist")
        self.engine = sa.create_engine(_url_for(self.db), future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._prepare_schema()
        if self.engine.dialect.name == "sqlite":
            # Only now, once the file is known to be a store: WAL is a lasting change to the file.
            _with_retry(self.db, self._use_wal)

    def _use_wal(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")

    # -- schema ------------------------------------------------------------------------------
    def _prepare_schema(self) -> None:
        _with_retry(self.db, lambda: self._in_transaction(self._create_or_check))

    def _in_transaction(self, work):
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                # Take the write lock before reading what is stored: pysqlite would only begin at the
                # first INSERT, so two processes could both find a report (or the schema) missing.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            return work(conn)

    def _create_or_check(self, conn) -> None:
        tables = set(sa.inspect(conn).get_table_names())
        if "meta" in tables:
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.db}: store schema version {version} is newer than this borderwatch "
                    f"understands ({SCHEMA_VERSION}); upgrade borderwatch")
            if version < SCHEMA_VERSION:
                self._migrate(conn, version)
            return
        if tables:
            raise StoreError(f"{self.db}: a database, but not a borderwatch store (tables: "
                             f"{', '.join(sorted(tables))})")
        metadata.create_all(conn)
        conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    def _migrate(self, conn, version: int) -> None:
        """Upgrade an older schema in place; each step is one version."""
        migrations: dict[int, callable] = {}  # version -> step to version + 1; none yet
        while version < SCHEMA_VERSION:
            step = migrations.get(version)
            if step is None:
                raise StoreError(f"{self.db}: store schema version {version} cannot be upgraded")
            step(conn)
            version += 1
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version)))

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # -- writing -----------------------------------------------------------------------------
    def add_reports(self, batch: Sequence[tuple[dict, Sequence[Claim]]]) -> IngestResult:
        """Store reports with their claims, all of ``batch`` in one transaction.

        Each item is ``(report, claims)`` where ``report`` has ``report_id``, ``text`` and optionally
        ``url``, ``source``, ``title``, ``name``, ``report_date``. A report whose ``report_id`` is
        already stored is skipped; a new text at a known ``url`` becomes a new version and the old
        version's claims stay stored, marked superseded.
        """
        batch = list(batch)  # read once: a retry, or the two passes of _add, must see every item
        return _with_retry(self.db, lambda: self._in_transaction(lambda conn: self._add(conn, batch)))

    def _add(self, conn, batch) -> IngestResult:
        ids = [report["report_id"] for report, _ in batch]
        known = set()
        for chunk in _chunks(ids, 500):
            known |= set(conn.execute(sa.select(reports.c.report_id).where(reports.c.report_id.in_(chunk))).scalars())
        result = IngestResult()
        report_rows, claim_rows = [], []
        seen_now: set[str] = set()
        newest_in_batch: dict[str, dict] = {}  # url -> row of this batch's latest version
        for report, report_claims in batch:
            rid = report["report_id"]
            if rid in known or rid in seen_now:
                result += IngestResult(duplicates=1)
                continue
            seen_now.add(rid)
            version = 1
            url = report.get("url") or ""
            earlier = newest_in_batch.get(url) if url else None
            if earlier is not None:
                version = earlier["version"] + 1
                earlier["superseded_by"] = rid
                result += IngestResult(versions=1)
            elif url:
                previous = conn.execute(
                    sa.select(reports.c.report_id, reports.c.version)
                    .where(reports.c.url == url, reports.c.superseded_by.is_(None))
                ).first()
                if previous is not None:
                    version = previous.version + 1
                    conn.execute(reports.update().where(reports.c.report_id == previous.report_id)
                                 .values(superseded_by=rid))
                    result += IngestResult(versions=1)
            row = {
                "report_id": rid, "url": url, "source": report.get("source") or "",
                "title": report.get("title") or "", "name": report.get("name") or "",
                "report_date": report.get("report_date"), "text": report["text"],
                "version": version, "superseded_by": None, "ingested_at": _now(),
            }
            report_rows.append(row)
            if url:
                newest_in_batch[url] = row
            for claim in report_claims:
                claim_rows.append(_claim_row(claim))
            result += IngestResult(added=1, claims=len(report_claims))
        if report_rows:
            conn.execute(reports.insert(), report_rows)
        if claim_rows:
            conn.execute(claims.insert(), claim_rows)
        return result

    def add_correction(self, action: str, *, claim_key: str | None = None, place_id: str | None = None,
                       party: str | None = None, status: str = "controls", event_date: date | None = None,
                       note: str = "", author: str = "") -> int:
        """Record an analyst's correction: ``reject`` a claim, or ``set`` a place's holder on a date."""
        if action == "reject" and not claim_key:
            raise ValueError("a rejection needs the claim_key of the claim it rejects")
        if action == "set" and not (place_id and party and event_date):
            raise ValueError("setting a holder needs place_id, party and event_date")
        if action not in ("reject", "set"):
            raise ValueError(f"unknown correction {action!r}: use 'reject' or 'set'")
        row = dict(action=action, claim_key=claim_key, place_id=place_id, party=party, status=status,
                   event_date=event_date, note=note, author=author, created_at=_now())
        return _with_retry(self.db, lambda: self._in_transaction(
            lambda conn: conn.execute(corrections.insert().values(**row)).inserted_primary_key[0]))

    # -- reading -----------------------------------------------------------------------------
    def claims_frame(self, include_superseded: bool = False, gazetteer=None) -> pd.DataFrame:
        """Current claims as a DataFrame (one row per claim), with corrections applied.

        Rejected claims are dropped; ``set`` corrections are appended as claims of construction
        ``correction`` and confidence 1, which the timeline lets win over extracted claims; with a
        ``gazetteer`` they carry the place's name, kind and coordinates and the party's label.
        """
        query = sa.select(claims, reports.c.superseded_by).join(
            reports, reports.c.report_id == claims.c.report_id)
        if not include_superseded:
            query = query.where(reports.c.superseded_by.is_(None))
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
            fixes = pd.read_sql(sa.select(corrections).order_by(corrections.c.id), conn)
        rejected = set(fixes.loc[fixes["action"] == "reject", "claim_key"].dropna())
        frame = frame[~frame["claim_key"].isin(rejected)]
        sets = fixes[fixes["action"] == "set"]
        if len(sets):
            frame = pd.concat([frame, _correction_claims(sets, frame, gazetteer)], ignore_index=True)
        for column in ("report_date", "event_date"):
            frame[column] = pd.to_datetime(frame[column]).dt.date.astype(object).where(frame[column].notna(), None)
        return frame.reset_index(drop=True)

    def corrections_frame(self) -> pd.DataFrame:
        """Every analyst correction, oldest first."""
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(corrections).order_by(corrections.c.id), conn)

    def reports_frame(self) -> pd.DataFrame:
        """Every stored report version (without its text)."""
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(reports.c.report_id, reports.c.url, reports.c.source,
                                         reports.c.title, reports.c.name, reports.c.report_date,
                                         reports.c.version, reports.c.superseded_by), conn)

    def report_dates(self) -> list[date]:
        """Distinct report dates of current reports, ascending: the timeline slider's steps."""
        with self.engine.connect() as conn:
            values = conn.execute(sa.select(reports.c.report_date).distinct()
                                  .where(reports.c.report_date.is_not(None), reports.c.superseded_by.is_(None))
                                  .order_by(reports.c.report_date)).scalars().all()
        return [v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values]

    def counts(self) -> dict[str, int]:
        """Rows in the reports, claims and corrections tables."""
        with self.engine.connect() as conn:
            return {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    for name, table in (("reports", reports), ("claims", claims), ("corrections", corrections))}

    def has_report(self, report_id: str) -> bool:
        """Whether a report with this content hash is stored."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(reports.c.id).where(reports.c.report_id == report_id)).first() is not None

    def check(self) -> list[str]:
        """Integrity problems found by SQLite itself and by the store's own invariants."""
        problems = []
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                problems += [r for r in result if r != "ok"]
            orphans = conn.execute(sa.select(sa.func.count()).select_from(claims).where(
                ~claims.c.report_id.in_(sa.select(reports.c.report_id)))).scalar_one()
            if orphans:
                problems.append(f"{orphans} claims without their report")
        return problems

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()


def _claim_row(claim: Claim) -> dict:
    return {
        "claim_key": claim.key, "report_id": claim.report_id, "place_id": claim.place_id,
        "place": claim.place, "kind": claim.kind, "side": claim.side, "party": claim.party,
        "party_label": claim.party_label, "status": claim.status, "report_date": claim.report_date,
        "event_date": claim.event_date, "source": claim.source, "url": claim.url,
        "evidence": claim.evidence, "span_start": claim.span[0], "span_end": claim.span[1],
        "confidence": claim.confidence, "lat": claim.lat, "lon": claim.lon,
        "extractor_version": claim.extractor_version, "construction": claim.construction,
    }


def _correction_claims(sets: pd.DataFrame, frame: pd.DataFrame, gazetteer=None) -> pd.DataFrame:
    """Turn ``set`` corrections into claim rows so the timeline treats them like any claim."""
    rows = []
    known = frame.drop_duplicates("place_id").set_index("place_id") if len(frame) else None
    for fix in sets.itertuples():
        ref = known.loc[fix.place_id] if known is not None and fix.place_id in known.index else None
        if gazetteer is not None and fix.place_id in gazetteer.places:
            place = gazetteer.places[fix.place_id]
            ref = {"place": place.name, "kind": place.kind, "lat": place.lat, "lon": place.lon}
        party = gazetteer.parties.get(fix.party) if gazetteer is not None else None
        rows.append({
            "claim_key": f"correction-{fix.id}", "report_id": f"correction-{fix.id}",
            "place_id": fix.place_id, "place": ref["place"] if ref is not None else fix.place_id,
            "kind": ref["kind"] if ref is not None else "crossing", "side": None, "party": fix.party,
            "party_label": party.label if party is not None else fix.party, "status": fix.status or "controls",
            "report_date": fix.event_date, "event_date": fix.event_date,
            "source": f"analyst correction by {fix.author or 'unknown'}", "url": "",
            "evidence": fix.note or "(analyst correction)", "span_start": 0, "span_end": 0,
            "confidence": 1.0, "lat": ref["lat"] if ref is not None else float("nan"),
            "lon": ref["lon"] if ref is not None else float("nan"),
            "extractor_version": "correction", "construction": "correction", "superseded_by": None,
        })
    return pd.DataFrame(rows)


def _with_retry(db: str, work, attempts: int = 120):
    """Run a transaction, waiting while another process holds the SQLite write lock."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as error:
            if not _is_lock(error) or attempt == attempts - 1:
                raise StoreError(f"{db}: cannot write ({_first_line(error)})") from None
            time.sleep(min(0.05 * (attempt + 1), 1.0))
        except DatabaseError as error:
            raise StoreError(f"{db}: {_first_line(error)}") from None
    raise AssertionError("unreachable")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _is_lock(error: Exception) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    return str(orig or error).splitlines()[0]


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def claims_to_frame(items: Iterable[Claim]) -> pd.DataFrame:
    """Claims (from the extractor, before storing) as the same frame :meth:`ClaimStore.claims_frame` gives."""
    rows = [_claim_row(c) for c in items]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


__all__ = ["ClaimStore", "IngestResult", "StoreError", "claims_to_frame", "resolve_db"]
