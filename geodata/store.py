"""The claims store: reports, claims and analyst corrections in SQLite or PostgreSQL.

The only writer of stored data. Every report goes in with its claims in one transaction, so a
crash leaves it fully in or fully out; the same content twice adds nothing. The same code serves
both databases; only how a writer takes the store's write lock differs (see ``_in_transaction``).
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
        migrations: dict[int, callable] = {}  # version -> step to version + 1; none yet
        while version < SCHEMA_VERSION:
            step = migrations.get(version)
            if step is None:
                raise StoreError(f"{self.label}: store schema version {version} cannot be upgraded")
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
        return _with_retry(self.label, lambda: self._in_transaction(lambda conn: self._add(conn, batch)))

    def _add(self, conn, batch) -> IngestResult:
        ids = [report["report_id"] for report, _ in batch]
        known = set()
        for chunk in _chunks(ids, 500):
            known |= set(conn.execute(sa.select(reports.c.report_id).where(reports.c.report_id.in_(chunk))).scalars())
        # The current version at each url of the batch, in one query per 500 urls, not one per report.
        urls = sorted({report.get("url") or "" for report, _ in batch} - {""})
        current: dict[str, tuple[str, int]] = {}
        for chunk in _chunks(urls, 500):
            current.update((row.url, (row.report_id, row.version)) for row in conn.execute(
                sa.select(reports.c.url, reports.c.report_id, reports.c.version)
                .where(reports.c.url.in_(chunk), reports.c.superseded_by.is_(None))))
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
            elif url in current:
                previous_id, previous_version = current[url]
                version = previous_version + 1
                conn.execute(reports.update().where(reports.c.report_id == previous_id).values(superseded_by=rid))
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
        if self.dialect == "postgresql":
            report_rows = [_without_nul(row) for row in report_rows]
            claim_rows = [_without_nul(row) for row in claim_rows]
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
        if self.dialect == "postgresql":
            row = _without_nul(row)
        return _with_retry(self.label, lambda: self._in_transaction(
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
        # In the timeline's order (place, then date, undated last): its prepare then needs no copy.
        effective = sa.func.coalesce(claims.c.event_date, claims.c.report_date)
        query = query.order_by(claims.c.place_id, effective.is_(None), effective, claims.c.id)
        with self.engine.connect() as conn:
            # In chunks: all rows fetched at once are Python tuples several times the frame's size.
            chunks = list(pd.read_sql(query, conn, chunksize=100_000))
            fixes = pd.read_sql(sa.select(corrections).order_by(corrections.c.id), conn)
        if not chunks:  # no rows: no chunk at all
            chunks = [pd.DataFrame(columns=[c.name for c in query.selected_columns])]
        frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
        del chunks
        rejected = set(fixes.loc[fixes["action"] == "reject", "claim_key"].dropna())
        if rejected:
            frame = frame[~frame["claim_key"].isin(rejected)]
        sets = fixes[fixes["action"] == "set"]
        if len(sets):
            frame = pd.concat([frame, _correction_claims(sets, frame, gazetteer)], ignore_index=True)
        for column in ("report_date", "event_date"):
            frame[column] = pd.to_datetime(frame[column]).dt.date.astype(object).where(frame[column].notna(), None)
        frame.index = pd.RangeIndex(len(frame))  # not reset_index, which copies every column
        return frame

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


def claims_to_frame(items: Iterable[Claim]) -> pd.DataFrame:
    """Claims (from the extractor, before storing) as the same frame :meth:`ClaimStore.claims_frame` gives."""
    rows = [_claim_row(c) for c in items]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


__all__ = ["ClaimStore", "IngestResult", "StoreError", "claims_to_frame", "resolve_db"]
