"""The claims store: reports, claims and analyst corrections in SQLite or PostgreSQL.

The only writer of stored data. Every report goes in with its claims in one transaction, so a
crash leaves it fully in or fully out; the same content twice adds nothing. The same code serves
both databases; only how a writer takes the store's write lock differs (see ``_in_transaction``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DatabaseError, OperationalError

from geodata.claims import Claim

SCHEMA_VERSION = 2
DEFAULT_DB = "borderwatch.db"
ENV_DB = "BORDERWATCH_DB"
# Any constant shared by every borderwatch writer: the key of PostgreSQL's advisory write lock.
PG_LOCK_KEY = 0x626F7264  # "bord"
# Tables an extension may put into a database before our schema (PostGIS): not "another program's".
EXTENSION_TABLES = {"spatial_ref_sys"}

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
    # Each new report looks up its url's current version; without this every ingest scans the table.
    # A hash index on PostgreSQL: equality is all we ask, and a btree refuses very long urls.
    sa.Index("ix_reports_url", "url", postgresql_using="hash"),
)
# One row per place any claim or correction names: what the gazetteer said of it when it was stored,
# so a store read without that gazetteer (a user's extra places) still knows where its places are.
# Where claims are read, the gazetteer in use wins over these rows for every place it knows.
places = sa.Table(
    "places", metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("countries", sa.String(40), nullable=False, default=""),  # "IQ|SY": the sides of a crossing
    sa.Column("side_names", sa.Text, nullable=False, default=""),  # "Al-Qaim|Albu Kamal", aligned with countries
)
# What a sentence says: ids only. The report's date, source and url live on its report row, the
# place's name, kind and point on the gazetteer (or ``places``), the party's label on the gazetteer.
claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(40), nullable=False),  # Claim.key
    sa.Column("report_id", sa.String(64), sa.ForeignKey("reports.report_id"), nullable=False),
    sa.Column("place_id", sa.String(120), nullable=False),
    sa.Column("side", sa.String(8)),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("event_date", sa.Date),
    sa.Column("event_precision", sa.String(8)),  # day | week | month | season | part | year; null: day
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("span_start", sa.Integer, nullable=False),
    sa.Column("span_end", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("extractor_version", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False, default=""),  # Claim.construction: the rule that fired
    sa.Index("ix_claims_place", "place_id"),
    sa.Index("ix_claims_report", "report_id"),
    sa.UniqueConstraint("report_id", "key", name="uq_claims_report_key"),
)
corrections = sa.Table(
    "corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(16), nullable=False),  # "reject" | "set"
    sa.Column("claim_key", sa.String(40)),  # the key of the claim a "reject" rejects
    sa.Column("place_id", sa.String(120)),
    sa.Column("side", sa.String(8)),  # a "set" on one side of a crossing; null: the whole crossing
    sa.Column("party", sa.String(64)),
    sa.Column("status", sa.String(20)),
    sa.Column("event_date", sa.Date),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("author", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

CLAIM_COLUMNS = [c.name for c in claims.columns if c.name != "id"]
# The columns of a claims frame (ClaimStore.claims_frame, claims_to_frame): a claim's own fields, its
# report's, and the facts the gazetteer knows of its place and party, joined once where claims are read.
FRAME_COLUMNS = [
    "claim_key", "report_id", "place_id", "side", "party", "status", "event_date", "event_precision",
    "evidence", "span_start", "span_end", "confidence", "extractor_version", "rule",
    "report_date", "source", "url", "superseded_by",
    "place_name", "kind", "lat", "lon", "countries", "side_names", "party_label", "party_countries",
]


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message says why in one line."""


@dataclass(frozen=True)
class IngestResult:
    """What one ingest added: new reports, new versions of known urls, duplicates skipped, claims."""

    added: int = 0
    versions: int = 0
    duplicates: int = 0
    claims: int = 0
    dated: int = 0  # stored undated reports that this ingest gave their report date (claims re-extracted)

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.added + other.added, self.versions + other.versions,
                            self.duplicates + other.duplicates, self.claims + other.claims,
                            self.dated + other.dated)


def resolve_db(db: str | os.PathLike | None) -> str:
    """The database the user means: ``--db``, else ``$BORDERWATCH_DB``, else ``./borderwatch.db``."""
    return str(db or os.environ.get(ENV_DB) or DEFAULT_DB)


def _url_for(db: str) -> sa.URL:
    if "://" not in db:
        return sa.make_url(f"sqlite:///{Path(db).expanduser()}")
    url = sa.make_url(db)
    if url.drivername in ("postgresql", "postgres"):
        # SQLAlchemy's default PostgreSQL driver is psycopg2; ours is psycopg 3 (the `postgres` extra).
        url = url.set(drivername="postgresql+psycopg")
    return url


def _display(db: str) -> str:
    """The store's name for messages: a URL without its password."""
    if "://" not in db:
        return db
    try:
        return sa.make_url(db).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return db


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
        self.label = _display(self.db)  # for messages: never a password
        self.create = create
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
        try:
            url = _url_for(self.db)
            # READ COMMITTED whatever the server's default: each statement after the write lock
            # must see what the lock's previous holder committed (see _in_transaction).
            options = {"isolation_level": "READ COMMITTED"} if url.get_backend_name() == "postgresql" else {}
            self.engine = sa.create_engine(url, future=True, **options)
        except sa.exc.ArgumentError as error:
            raise StoreError(f"{self.label}: not a database URL ({error})") from None
        except ImportError as error:  # the URL's driver is not installed
            hint = ("pip install 'borderwatch[postgres]'" if url.get_backend_name() == "postgresql"
                    else f"install the Python driver for {url.drivername}")
            raise StoreError(f"{self.label}: no database driver ({error.name or error}): {hint}") from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._prepare_schema()
        if self.dialect == "sqlite":
            # Only now, once the file is known to be a store: WAL is a lasting change to the file.
            _with_retry(self.label, self._use_wal)

    def _use_wal(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")

    # -- schema ------------------------------------------------------------------------------
    def _prepare_schema(self) -> None:
        _with_retry(self.label, lambda: self._in_transaction(self._create_or_check))

    def _in_transaction(self, work):
        """Run ``work(conn)`` in one transaction that holds the store's write lock from its start.

        Writers take the lock before reading what is stored, or two processes could both find a
        report (or the schema) missing and both add it. Readers never wait for it.
        """
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                # pysqlite would only begin at the first INSERT; BEGIN IMMEDIATE takes the lock now.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.dialect == "postgresql":
                # A transaction-level advisory lock: it works before the tables exist (schema
                # creation), is released by commit, rollback or a dead client's disconnect, and
                # leaves readers alone. Under READ COMMITTED (set on the engine) every later
                # statement of the transaction sees what the previous holder committed.
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_LOCK_KEY)))
            return work(conn)

    def _create_or_check(self, conn) -> None:
        tables = set(sa.inspect(conn).get_table_names()) - EXTENSION_TABLES
        if "meta" in tables:
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.label}: store schema version {version} is newer than this borderwatch "
                    f"understands ({SCHEMA_VERSION}); upgrade borderwatch")
            if version < SCHEMA_VERSION:
                self._migrate(conn, version)
            # Stores made before the url index existed get it here; it changes no data.
            for index in reports.indexes:
                index.create(conn, checkfirst=True)
            return
        if tables:
            raise StoreError(f"{self.label}: a database, but not a borderwatch store (tables: "
                             f"{', '.join(sorted(tables))})")
        if not self.create and self.dialect != "sqlite":
            raise StoreError(f"{self.label}: no store in this database (run 'borderwatch extract ... "
                             f"--db URL' first)")
        metadata.create_all(conn)
        conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    def _migrate(self, conn, version: int) -> None:
        """Upgrade an older schema in place; each step is one version."""
        migrations: dict[int, callable] = {1: self._normalise_claims}  # version -> step to version + 1
        while version < SCHEMA_VERSION:
            step = migrations.get(version)
            if step is None:
                raise StoreError(f"{self.label}: store schema version {version} cannot be upgraded")
            step(conn)
            version += 1
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version)))

    def _normalise_claims(self, conn) -> None:
        """Version 1 -> 2: claims hold ids only; place facts move to ``places``, report facts stay on reports.

        ``claim_key`` becomes ``key`` (as ``Claim.key``), ``construction`` becomes ``rule``; event dates
        stored before precisions were kept get none (read as days); corrections gain a ``side``.
        """
        rows = conn.execute(sa.text(
            "SELECT place_id, MIN(place), MIN(kind), MIN(lat), MIN(lon) FROM claims GROUP BY place_id")).all()
        facts = {pid: {"name": name or pid, "kind": kind or "crossing", "lat": lat, "lon": lon}
                 for pid, name, kind, lat, lon in rows}
        fixes = conn.execute(sa.text("SELECT DISTINCT place_id FROM corrections WHERE place_id IS NOT NULL")).scalars()
        for pid in fixes:
            facts.setdefault(pid, None)
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_claims_place")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_claims_report")
        if self.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE claims DROP CONSTRAINT IF EXISTS uq_claims_report_key")
        conn.exec_driver_sql("ALTER TABLE claims RENAME TO claims_v1")
        places.create(conn)
        claims.create(conn)
        conn.exec_driver_sql(
            "INSERT INTO claims (id, key, report_id, place_id, side, party, status, event_date, event_precision, "
            "evidence, span_start, span_end, confidence, extractor_version, rule) "
            "SELECT id, claim_key, report_id, place_id, side, party, status, event_date, NULL, evidence, "
            "span_start, span_end, confidence, extractor_version, construction FROM claims_v1")
        conn.exec_driver_sql("DROP TABLE claims_v1")
        if self.dialect == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('claims', 'id'), "
                                 "COALESCE((SELECT MAX(id) FROM claims), 0) + 1, false)")
        conn.exec_driver_sql("ALTER TABLE corrections ADD COLUMN side VARCHAR(8)")
        _remember_places(conn, facts, None)

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # -- writing -----------------------------------------------------------------------------
    def add_reports(self, batch: Sequence[tuple[dict, Sequence[Claim]]], gazetteer=None) -> IngestResult:
        """Store reports with their claims, all of ``batch`` in one transaction.

        Each item is ``(report, claims)`` where ``report`` has ``report_id``, ``text`` and optionally
        ``url``, ``source``, ``title``, ``name``, ``report_date``. A report whose ``report_id`` is
        already stored is skipped, unless it was stored without a report date and now has one: then
        its date is set and its claims replaced by the ones given (extracted with that date), counted
        in ``dated``. Reports at one ``url`` are versions of one another, ordered by their report
        date, then by ingestion (an undated version takes the date of the version ingested before it);
        the latest is current, the others stay stored, marked superseded by the next.

        The places the claims name are remembered in ``places`` (from ``gazetteer``, else the shipped
        gazetteer, else the claim's own name and point) so the store can be read without the gazetteer.
        """
        batch = list(batch)  # read once: a retry, or the two passes of _add, must see every item
        return _with_retry(self.label, lambda: self._in_transaction(lambda conn: self._add(conn, batch, gazetteer)))

    def _add(self, conn, batch, gazetteer) -> IngestResult:
        ids = [report["report_id"] for report, _ in batch]
        known: dict[str, tuple] = {}  # report id -> (report_date, url) of what is stored
        for chunk in _chunks(ids, 500):
            known.update((row.report_id, (row.report_date, row.url)) for row in conn.execute(
                sa.select(reports.c.report_id, reports.c.report_date, reports.c.url)
                .where(reports.c.report_id.in_(chunk))))
        urls = sorted({report.get("url") or "" for report, _ in batch} - {""})
        stored_urls: set[str] = set()
        for chunk in _chunks(urls, 500):
            stored_urls |= set(conn.execute(sa.select(reports.c.url).distinct().where(reports.c.url.in_(chunk))).scalars())
        result = IngestResult()
        report_rows, claim_rows = [], []
        seen_now: set[str] = set()
        touched: set[str] = set()  # urls whose versions must be put in order again
        place_facts: dict[str, dict | None] = {}
        for report, report_claims in batch:
            rid = report["report_id"]
            if rid in seen_now:
                result += IngestResult(duplicates=1)
                continue
            seen_now.add(rid)
            new_date = report.get("report_date")
            if rid in known:
                stored_date, stored_url = known[rid]
                if stored_date is None and new_date is not None:  # a re-run that gives the date it lacked
                    conn.execute(reports.update().where(reports.c.report_id == rid).values(report_date=new_date))
                    conn.execute(claims.delete().where(claims.c.report_id == rid))
                    claim_rows.extend(_claim_row(claim) for claim in report_claims)
                    _collect_places(place_facts, report_claims)
                    if stored_url:
                        touched.add(stored_url)
                    result += IngestResult(dated=1, claims=len(report_claims))
                else:
                    result += IngestResult(duplicates=1)
                continue
            url = report.get("url") or ""
            if url:
                if url in stored_urls or url in touched:
                    result += IngestResult(versions=1)
                touched.add(url)
            report_rows.append({
                "report_id": rid, "url": url, "source": report.get("source") or "",
                "title": report.get("title") or "", "name": report.get("name") or "",
                "report_date": new_date, "text": report["text"],
                "version": 1, "superseded_by": None, "ingested_at": _now(),
            })
            claim_rows.extend(_claim_row(claim) for claim in report_claims)
            _collect_places(place_facts, report_claims)
            result += IngestResult(added=1, claims=len(report_claims))
        if self.dialect == "postgresql":
            report_rows = [_without_nul(row) for row in report_rows]
            claim_rows = [_without_nul(row) for row in claim_rows]
        if report_rows:
            conn.execute(reports.insert(), report_rows)
        if claim_rows:
            conn.execute(claims.insert(), claim_rows)
        _remember_places(conn, place_facts, gazetteer)
        _order_versions(conn, sorted(touched))
        return result

    def add_correction(self, action: str, *, claim_key: str | None = None, place_id: str | None = None,
                       party: str | None = None, status: str = "controls", event_date: date | None = None,
                       note: str = "", author: str = "", side: str | None = None, gazetteer=None) -> int:
        """Record an analyst's correction: ``reject`` a claim, or ``set`` a place's (or one side's) holder on a date.

        The place of a ``set`` is remembered in ``places`` from ``gazetteer`` (else the shipped one),
        so its point is known wherever the store is read.
        """
        if action == "reject" and not claim_key:
            raise ValueError("a rejection needs the claim_key of the claim it rejects")
        if action == "set" and not (place_id and party and event_date):
            raise ValueError("setting a holder needs place_id, party and event_date")
        if action not in ("reject", "set"):
            raise ValueError(f"unknown correction {action!r}: use 'reject' or 'set'")
        row = dict(action=action, claim_key=claim_key, place_id=place_id, side=side, party=party, status=status,
                   event_date=event_date, note=note, author=author, created_at=_now())
        if self.dialect == "postgresql":
            row = _without_nul(row)

        def work(conn):
            if place_id:
                _remember_places(conn, {place_id: None}, gazetteer)
            return conn.execute(corrections.insert().values(**row)).inserted_primary_key[0]
        return _with_retry(self.label, lambda: self._in_transaction(work))

    # -- reading -----------------------------------------------------------------------------
    def claims_frame(self, include_superseded: bool = False, gazetteer=None) -> pd.DataFrame:
        """Current claims as a DataFrame (one row per claim, :data:`FRAME_COLUMNS`), with corrections applied.

        Rejected claims are dropped; ``set`` corrections are appended as claims of rule
        ``correction`` and confidence 1, which the timeline lets win over extracted claims. The facts
        of each place and party (name, kind, point, sides, label) are joined here, once: from
        ``gazetteer`` (the shipped one when None) for every place it knows, else from the facts
        stored with the claims; a place known to neither has no point (``lat``/``lon`` NaN) and the
        timeline and the exports leave it unlocated rather than invent one.
        """
        report_date = reports.c.report_date
        query = sa.select(
            claims.c.key.label("claim_key"), claims.c.report_id, claims.c.place_id, claims.c.side, claims.c.party,
            claims.c.status, claims.c.event_date, claims.c.event_precision, claims.c.evidence, claims.c.span_start,
            claims.c.span_end, claims.c.confidence, claims.c.extractor_version, claims.c.rule, report_date,
            reports.c.source, reports.c.url, reports.c.superseded_by,
        ).join(reports, reports.c.report_id == claims.c.report_id)
        if not include_superseded:
            query = query.where(reports.c.superseded_by.is_(None))
        # In the timeline's order (place, then date, undated last): its prepare then needs no copy.
        effective = sa.func.coalesce(claims.c.event_date, report_date)
        query = query.order_by(claims.c.place_id, effective.is_(None), effective, claims.c.id)
        with self.engine.connect() as conn:
            # In chunks: all rows fetched at once are Python tuples several times the frame's size.
            chunks = list(pd.read_sql(query, conn, chunksize=100_000))
            fixes = pd.read_sql(sa.select(corrections).order_by(corrections.c.id), conn)
            stored = {row.id: row for row in conn.execute(sa.select(places))}
        if not chunks:  # no rows: no chunk at all
            chunks = [pd.DataFrame(columns=[c.name for c in query.selected_columns])]
        frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
        del chunks
        rejected = set(fixes.loc[fixes["action"] == "reject", "claim_key"].dropna())
        if rejected:
            frame = frame[~frame["claim_key"].isin(rejected)]
        sets = fixes[fixes["action"] == "set"]
        if len(sets):
            frame = pd.concat([frame, _correction_claims(sets)], ignore_index=True)
        for column in ("report_date", "event_date"):
            frame[column] = pd.to_datetime(frame[column]).dt.date.astype(object).where(frame[column].notna(), None)
        frame.index = pd.RangeIndex(len(frame))  # not reset_index, which copies every column
        return join_facts(frame, gazetteer, stored)

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

    def revision(self) -> tuple[int, int, int]:
        """The highest row id of reports, claims and corrections.

        The store only appends (a new version of a report is a new row), so this changes whenever
        the store does, and costs three index lookups where counting rows scans the tables.
        """
        with self.engine.connect() as conn:
            return tuple(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
                         for table in (reports, claims, corrections))

    def has_report(self, report_id: str) -> bool:
        """Whether a report with this content hash is stored."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(reports.c.id).where(reports.c.report_id == report_id)).first() is not None

    def check(self) -> list[str]:
        """Integrity problems found by SQLite itself and by the store's own invariants."""
        problems = []
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                    problems += [r for r in result if r != "ok"]
                orphans = conn.execute(sa.select(sa.func.count()).select_from(claims).where(
                    ~claims.c.report_id.in_(sa.select(reports.c.report_id)))).scalar_one()
                if orphans:
                    problems.append(f"{orphans} claims without their report")
        except DatabaseError as error:  # a damaged file can fail the check itself: that is the finding
            problems.append(f"the database is damaged ({_first_line(error)})")
        return problems

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()


def _claim_row(claim: Claim) -> dict:
    return {
        "key": claim.key, "report_id": claim.report_id, "place_id": claim.place_id, "side": claim.side,
        "party": claim.party, "status": claim.status, "event_date": claim.event_date,
        "event_precision": claim.event_precision, "evidence": claim.evidence, "span_start": claim.span[0],
        "span_end": claim.span[1], "confidence": claim.confidence,
        "extractor_version": claim.extractor_version, "rule": claim.construction,
    }


@lru_cache(maxsize=1)
def _shipped_gazetteer():
    from geodata.gazetteer import load_gazetteer

    return load_gazetteer()


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _collect_places(facts: dict, items: Iterable[Claim]) -> None:
    """The name, kind and point each claim gives its place (the first claim's, per place)."""
    for claim in items:
        if claim.place_id not in facts:
            facts[claim.place_id] = {"name": claim.place or claim.place_id, "kind": claim.kind,
                                     "lat": _finite(claim.lat), "lon": _finite(claim.lon)}


def _place_row(place_id: str, given: dict | None, gazetteer) -> dict | None:
    source = gazetteer if gazetteer is not None else _shipped_gazetteer()
    place = source.places.get(place_id)
    if place is not None:
        return {"id": place_id, "name": place.name, "kind": place.kind, "lat": place.lat, "lon": place.lon,
                "countries": "|".join(place.countries) if place.kind == "crossing" else "",
                "side_names": "|".join(place.side_names) if place.kind == "crossing" else ""}
    if given is None:
        return None
    return {"id": place_id, "name": given.get("name") or place_id, "kind": given.get("kind") or "crossing",
            "lat": _finite(given.get("lat")), "lon": _finite(given.get("lon")), "countries": "", "side_names": ""}


def _remember_places(conn, facts: dict[str, dict | None], gazetteer) -> None:
    """Add a ``places`` row for each place not stored yet (the gazetteer's facts, else the claim's)."""
    ids = sorted(facts)
    stored: set[str] = set()
    for chunk in _chunks(ids, 500):
        stored |= set(conn.execute(sa.select(places.c.id).where(places.c.id.in_(chunk))).scalars())
    rows = [row for pid in ids if pid not in stored
            for row in [_place_row(pid, facts[pid], gazetteer)] if row is not None]
    if rows:
        conn.execute(places.insert(), rows)


def _order_versions(conn, urls: list[str]) -> None:
    """Number the versions at each url by report date, then ingestion; each superseded by the next.

    An undated version takes the date of the version ingested just before it (so among undated
    ones, and after a dated one, ingestion decides).
    """
    for chunk in _chunks(urls, 500):
        rows = conn.execute(sa.select(reports.c.id, reports.c.url, reports.c.report_id, reports.c.report_date,
                                      reports.c.version, reports.c.superseded_by)
                            .where(reports.c.url.in_(chunk)).order_by(reports.c.url, reports.c.id)).all()
        by_url: dict[str, list] = {}
        for row in rows:
            by_url.setdefault(row.url, []).append(row)
        for versions in by_url.values():
            keyed, carried = [], date.min
            for row in versions:  # ingestion order
                day = row.report_date if row.report_date is not None else carried
                day = day if isinstance(day, date) else date.fromisoformat(str(day))
                carried = day
                keyed.append(((day, row.id), row))
            ordered = [row for _, row in sorted(keyed, key=lambda item: item[0])]
            for number, row in enumerate(ordered, start=1):
                after = ordered[number].report_id if number < len(ordered) else None
                if row.version != number or row.superseded_by != after:
                    conn.execute(reports.update().where(reports.c.id == row.id)
                                 .values(version=number, superseded_by=after))


def _correction_claims(sets: pd.DataFrame) -> pd.DataFrame:
    """Turn ``set`` corrections into claim rows so the timeline treats them like any claim."""
    rows = []
    for fix in sets.itertuples():
        rows.append({
            "claim_key": f"correction-{fix.id}", "report_id": f"correction-{fix.id}",
            "place_id": fix.place_id, "side": getattr(fix, "side", None) or None, "party": fix.party,
            "status": fix.status or "controls", "event_date": fix.event_date, "event_precision": "day",
            "evidence": fix.note or "(analyst correction)", "span_start": 0, "span_end": 0,
            "confidence": 1.0, "extractor_version": "correction", "rule": "correction",
            "report_date": fix.event_date, "source": f"analyst correction by {fix.author or 'unknown'}",
            "url": "", "superseded_by": None,
        })
    return pd.DataFrame(rows)


def join_facts(frame: pd.DataFrame, gazetteer=None, stored: dict | None = None) -> pd.DataFrame:
    """Add the facts of each claim's place and party: :data:`FRAME_COLUMNS` from a frame of claim fields.

    Each distinct place and party is looked up once (a million claims name a few thousand places).
    ``gazetteer`` (the shipped one when None) wins; ``stored`` (place id -> ``places`` row) fills
    the places it does not know; a claim's own ``place_name``/``kind``/``lat``/``lon``/
    ``party_label`` columns, when the frame has them, are the last resort.
    """
    gazetteer = gazetteer if gazetteer is not None else _shipped_gazetteer()
    stored = stored or {}
    codes, uniques = pd.factorize(frame["place_id"])
    facts = {"place_name": [], "kind": [], "lat": [], "lon": [], "countries": [], "side_names": []}
    for pid in uniques:
        place = gazetteer.places.get(pid)
        if place is not None:
            crossing = place.kind == "crossing"
            values = (place.name, place.kind, place.lat, place.lon,
                      "|".join(place.countries) if crossing else "", "|".join(place.side_names) if crossing else "")
        elif pid in stored:
            row = stored[pid]
            values = (row.name, row.kind, _finite(row.lat), _finite(row.lon), row.countries or "",
                      row.side_names or "")
        else:  # known nowhere: its id for a name, and no point rather than a made-up one
            values = (pid, None, None, None, "", "")
        for column, value in zip(facts, values):
            facts[column].append(value)
    out = frame.copy(deep=False)
    for column, values in facts.items():
        dtype = float if column in ("lat", "lon") else object
        taken = np.asarray(values, dtype=dtype)[codes] if len(uniques) else np.empty(0, dtype=dtype)
        if column in out.columns:  # the claims' own facts, where neither gazetteer nor store knows the place
            own = out[column].to_numpy(dtype=dtype) if dtype is float else out[column].to_numpy(dtype=object)
            missing = np.isnan(taken) if dtype is float else pd.isna(taken) | (taken == "")
            taken = np.where(missing, own, taken)
        out[column] = taken
    party_codes, party_ids = pd.factorize(out["party"])
    home = {p.id: "|".join(p.countries) for p in gazetteer.parties.values()}  # where its forces stand
    labels = np.asarray([gazetteer.parties[p].label if p in gazetteer.parties else p for p in party_ids],
                        dtype=object)
    countries_of = np.asarray([home.get(p, "") for p in party_ids], dtype=object)
    if len(party_ids):
        own_labels = out["party_label"].to_numpy(dtype=object) if "party_label" in out.columns else None
        out["party_label"] = labels[party_codes]
        if own_labels is not None:  # a party the gazetteer does not know keeps the claim's own label
            unknown = ~np.isin(out["party"].to_numpy(dtype=object), list(gazetteer.parties))
            out.loc[unknown, "party_label"] = own_labels[unknown]
        out["party_countries"] = countries_of[party_codes]
    else:
        out["party_label"] = pd.Series(dtype=object)
        out["party_countries"] = pd.Series(dtype=object)
    extra = [c for c in out.columns if c not in FRAME_COLUMNS]
    return out[[c for c in FRAME_COLUMNS if c in out.columns] + extra]


def _with_retry(db: str, work, attempts: int = 120):
    """Run a transaction again while another process holds the SQLite lock or PostgreSQL aborts it.

    PostgreSQL writers queue on the advisory lock instead, so there a retry only follows a
    serialization failure or a deadlock, which the lock should prevent but the server may still report.
    """
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as error:
            if not (_is_lock(error) or _is_transient(error)) or attempt == attempts - 1:
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


def _is_transient(error: Exception) -> bool:
    """A PostgreSQL error that says "try the transaction again": serialization failure, deadlock."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in ("40001", "40P01")


def _without_nul(row: dict) -> dict:
    """PostgreSQL text cannot hold NUL characters (SQLite can): store U+FFFD in their place."""
    return {key: value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value
            for key, value in row.items()}


def _first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    return str(orig or error).splitlines()[0]


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def claims_to_frame(items: Iterable[Claim], gazetteer=None) -> pd.DataFrame:
    """Claims (from the extractor, before storing) as the frame :meth:`ClaimStore.claims_frame` gives.

    Without a ``gazetteer`` the claims' own place and party facts are used (and a crossing's sides
    are the ones its claims name); with one, its facts are joined as where stored claims are read.
    """
    rows = [{"claim_key": c.key, **{k: v for k, v in _claim_row(c).items() if k != "key"},
             "report_date": c.report_date, "source": c.source, "url": c.url, "superseded_by": None,
             "place_name": c.place, "kind": c.kind, "lat": c.lat, "lon": c.lon, "party_label": c.party_label}
            for c in items]
    frame = pd.DataFrame(rows, columns=[c for c in FRAME_COLUMNS if c not in ("countries", "side_names",
                                                                               "party_countries")])
    if gazetteer is not None:
        return join_facts(frame, gazetteer)
    frame["countries"], frame["side_names"], frame["party_countries"] = "", "", ""
    return frame[FRAME_COLUMNS]


__all__ = ["FRAME_COLUMNS", "ClaimStore", "IngestResult", "StoreError", "claims_to_frame", "join_facts",
           "resolve_db"]
