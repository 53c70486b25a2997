"""The ``borderwatch`` command line: gazetteer, extract, export, evaluate, correct, serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

try:  # typer vendors click from 0.2x on; before, it used click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors


class _OneLineErrors(TyperGroup):
    """Usage errors (a bad --kind, a missing argument) as one line, not a framed box, and exit 2."""

    def main(self, *args, standalone_mode: bool = True, **extra):
        try:
            code = super().main(*args, standalone_mode=False, **extra)
        except getattr(click_errors, "NoArgsIsHelpError", ()) as error:  # the help is already printed
            code = error.exit_code
        except click_errors.ClickException as error:
            ctx = getattr(error, "ctx", None)
            command = ctx.command_path.partition(" ")[2] if ctx is not None else ""
            message = " ".join(error.format_message().replace("Value error, ", "").split()).rstrip(".")
            hint = f" (see borderwatch {command + ' ' if command else ''}--help)" if ctx is not None else ""
            typer.echo(f"borderwatch: error: {command + ': ' if command else ''}{message}{hint}", err=True)
            code = error.exit_code
        except typer.Abort:
            typer.echo("borderwatch: aborted", err=True)
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_OneLineErrors,
                  help="Who controls which border crossing, and since when: claims from news reports, on a map.")
correct_app = typer.Typer(no_args_is_help=True, help="Analyst corrections: reject a claim or set a holder.")
app.add_typer(correct_app, name="correct")

GAZETTEER_OPTION = typer.Option(
    None, "--gazetteer", envvar="BORDERWATCH_GAZETTEER",
    help="CSV/GeoJSON of extra places (same columns as the shipped gazetteer, plus 'kind').")
DB_OPTION = typer.Option(
    None, "--db", help="Store: SQLite file or SQLAlchemy URL.", show_default="$BORDERWATCH_DB or ./borderwatch.db")


class GazetteerFormat(str, Enum):
    """Formats of ``borderwatch gazetteer``."""

    csv = "csv"
    geojson = "geojson"


class ExportFormat(str, Enum):
    """Formats of ``borderwatch export``."""

    geojson = "geojson"
    csv = "csv"
    gpkg = "gpkg"


class Kind(str, Enum):
    """Kinds of place."""

    crossing = "crossing"
    province = "province"


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit non-zero."""
    typer.echo(f"borderwatch: error: {message}", err=True)
    raise typer.Exit(code)


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date given to ``option``, or a one-line error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        import re

        form = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
        if form:  # the form is right; the date is impossible
            year, month, day = map(int, form.groups())
            why = f"there is no month {month}" if not 1 <= month <= 12 else f"{year}-{month:02d} has no day {day}"
            fail(f"{option} {value!r} is not a date ({why})")
        fail(f"{option} {value!r} is not a date in YYYY-MM-DD form")


def _gazetteer(extra: Optional[Path]):
    from geodata.gazetteer import GazetteerError, load_gazetteer

    try:
        return load_gazetteer(extra)
    except GazetteerError as error:
        fail(str(error))


def _open_store(db: Optional[str], create: bool):
    from sqlalchemy.exc import DatabaseError

    from geodata.store import ClaimStore, StoreError, resolve_db

    try:
        store = ClaimStore(resolve_db(db), create=create)
        if store.engine.dialect.name == "sqlite":
            # A damaged file is refused before anything reads or writes it (about 0.3 s per 100 MB).
            with store.engine.connect() as conn:
                found = conn.exec_driver_sql("PRAGMA quick_check").scalars().first()
            if found != "ok":
                fail(f"{store.db}: the database file is damaged ({found}); restore it from a backup", 1)
        return store
    except DatabaseError as error:
        fail(f"{resolve_db(db)}: the database file is damaged ({str(error.orig or error).splitlines()[0]}); "
             "restore it from a backup", 1)
    except StoreError as error:
        fail(str(error))


@app.command()
def gazetteer(fmt: GazetteerFormat = typer.Option(GazetteerFormat.csv, "--format", help="Output format."),
              extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Print the gazetteer (crossings and governorates) as CSV or GeoJSON, e.g. to open in QGIS."""
    frame = _gazetteer(extra).to_geodataframe()
    try:
        if fmt is GazetteerFormat.geojson:
            sys.stdout.write(frame.to_json(drop_id=True) + "\n")
        else:
            table = frame.assign(lon=frame.geometry.x, lat=frame.geometry.y).drop(columns="geometry")
            table.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()  # the reader (| head) stopped reading


@app.command()
def extract(paths: list[str] = typer.Argument(..., help="Files, folders or - (stdin): .txt, .html, .jsonl, .csv."),
            report_date: Optional[str] = typer.Option(None, help="Report date (YYYY-MM-DD) for every input."),
            source: Optional[str] = typer.Option(None, help="Source name for every input (e.g. AFP)."),
            db: Optional[str] = DB_OPTION,
            jsonl: bool = typer.Option(False, "--jsonl", help="Write claims to stdout, one JSON object a line "
                                       "(without --db, nothing is stored)."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Extract and report, store nothing."),
            batch_size: int = typer.Option(200, min=1, help="Reports per store transaction (at least 1)."),
            workers: int = typer.Option(1, "--workers", min=1, help="Extraction processes (more than 1: a local "
                                        "Dask cluster of that many)."),
            scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                                    help="Extract on the Dask cluster of this scheduler "
                                                         "(tcp://host:8786); see docs/scaling.md."),
            extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Extract control claims from reports and store them (and/or print them as JSON Lines).

    Every input that cannot be read (missing, binary, empty, too big, a bad batch line or row) is
    named on its own line with the reason, and the rest of the batch is still read and stored.

    Exit status: 0 every input was read; 3 some inputs could not be read (the others were stored);
    4 no report was read at all; 1 the store or the Dask cluster failed; 2 a usage error.
    """
    from extract.batch import BatchSummary, extract_reports, report_record
    from extract.distributed import DaskError
    from extract.pipeline import Extractor
    from extract.sources import InputOptions, expand_paths, read_inputs
    from geodata.store import StoreError

    if scheduler is not None and workers != 1:
        fail("give --workers (starts a local Dask cluster) or --scheduler (uses a running one), not both")
    if scheduler is not None or workers > 1:
        import warnings

        from extract.distributed import quiet_dask_logging

        quiet_dask_logging()
        warnings.filterwarnings("ignore", module="distributed")
    options = InputOptions(report_date=parse_date(report_date, "--report-date"), source=source or "")
    store = None if dry_run or (jsonl and db is None) else _open_store(db, create=True)
    gaz = _gazetteer(extra)
    extractor = Extractor(gaz)
    files = list(expand_paths(paths))
    summary = BatchSummary()
    pending: list = []
    stored = None

    def flush():
        nonlocal stored
        if store is not None and pending:
            try:
                result = store.add_reports(pending, gazetteer=gaz)
            except StoreError as error:
                fail(str(error), 1)
            stored = result if stored is None else stored + result
        pending.clear()

    from rich.progress import Progress

    with Progress(transient=True, disable=len(files) <= 3 or not sys.stderr.isatty()) as progress:
        task = progress.add_task("extracting", total=len(files))
        def inputs():
            for path in files:
                yield from read_inputs([path], options)
                progress.advance(task)

        try:
            for report, claims in extract_reports(inputs(), extractor, summary, workers, scheduler=scheduler):
                if report.report_date is None:
                    typer.echo(f"borderwatch: warning: {report.name}: {report.date_note or 'no report date found'}; "
                               "claims keep report_date null (give --report-date)", err=True)
                if report.note:
                    typer.echo(f"borderwatch: warning: {report.name}: {report.note}", err=True)
                if jsonl:
                    try:
                        for claim in claims:
                            sys.stdout.write(json.dumps(claim.to_dict(), ensure_ascii=False) + "\n")
                    except BrokenPipeError:
                        _quiet_broken_pipe()  # the reader (| head) stopped reading
                pending.append((report_record(report), claims))
                if len(pending) >= batch_size:
                    flush()
        except DaskError as error:
            flush()  # what came back is stored; a rerun adds only the rest (reports are deduplicated)
            fail(str(error), 1)
    flush()
    for skip in summary.skipped:
        typer.echo(f"borderwatch: skipped {skip.name}: {skip.reason}", err=True)
    line = summary.line()
    if stored is not None:
        line += (f"; stored {stored.added} new reports ({stored.versions} new versions), "
                 f"{stored.duplicates} already stored")
        if stored.dated:  # a re-run with --report-date for reports first stored without one
            line += (f"; {stored.dated} stored report{'s' if stored.dated > 1 else ''} without a report date "
                     f"now dated (claims extracted again with the date)")
    typer.echo(line, err=True)
    code, reason = summary.exit_status()
    if code:
        typer.echo(f"borderwatch: error: {reason}", err=True)
        raise typer.Exit(code)


def _bbox(value: Optional[str]):
    from geodata.export import validate_bbox

    if value is None:
        return None
    try:
        return validate_bbox([float(v) for v in value.split(",")])
    except ValueError as error:
        fail(f"--bbox {value!r}: {error}")


@app.command()
def export(db: Optional[str] = DB_OPTION,
           as_of: Optional[str] = typer.Option(None, "--as-of", help="State on this date.", show_default="latest"),
           date_from: Optional[str] = typer.Option(None, "--from", help="With --to: export the claims in this range."),
           date_to: Optional[str] = typer.Option(None, "--to", help="End of the range (inclusive)."),
           party: list[str] = typer.Option([], "--party", help="Only these controlling parties (repeatable)."),
           kind: list[Kind] = typer.Option([], "--kind", help="crossing or province (repeatable)."),
           border: list[str] = typer.Option([], "--border", help="Only places on this border, e.g. IQ-SY "
                                            "(a province: its country, IQ) (repeatable)."),
           bbox: Optional[str] = typer.Option(None, "--bbox", help="W,S,E,N in degrees."),
           fmt: ExportFormat = typer.Option(ExportFormat.geojson, "--format", help="Output format."),
           output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (needed for gpkg).",
                                                 show_default="stdout"),
           extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Export the as-of state (or, with --from/--to, the claims in that range) after the filters."""
    from extract.pipeline import EXTRACTOR_VERSION
    from geodata.export import Filters, filter_state, write_export
    from geodata.timeline import as_of as state_on

    on, start, end = parse_date(as_of, "--as-of"), parse_date(date_from, "--from"), parse_date(date_to, "--to")
    box = _bbox(bbox)
    gaz = _gazetteer(extra)
    unknown = [p for p in party if p not in gaz.parties]
    if unknown:
        fail(f"unknown party id {unknown[0]!r} (known: {', '.join(gaz.parties)})")
    try:
        borders = {p.border for p in gaz.places.values()}
        wanted = tuple("-".join(sorted(b.upper().replace("–", "-").split("-"))) for b in border)
        bad = [b for b, w in zip(border, wanted) if w not in borders]
        if bad:
            fail(f"unknown border {bad[0]!r} (known: {', '.join(sorted(borders))})")
        filters = Filters(as_of=on, date_from=start, date_to=end, parties=tuple(party),
                          kinds=tuple(k.value for k in kind), borders=wanted, bbox=box)
    except ValueError as error:
        fail(str(error))
    if fmt is ExportFormat.gpkg and output is None:
        fail("--format gpkg needs an output file (a GeoPackage cannot go to standard output): give -o FILE.gpkg")
    if db is not None and "://" not in db and not Path(db).exists():
        fail(f"{db}: no such store")
    store = _open_store(db, create=False)
    frame = store.claims_frame(gazetteer=gaz)
    government = {c.government_party for c in gaz.countries.values() if c.government_party}
    if start or end:
        from geodata.timeline import effective_dates

        when = effective_dates(frame).dt.date
        mask = when.notna()
        if start:
            mask &= when >= start
        if end:
            mask &= when <= end
        table = frame[mask].copy()
    else:
        table = state_on(frame, on, government)
    table = filter_state(table, filters, {p.id: p.border for p in gaz.places.values()})
    try:
        written = write_export(table, output, fmt.value, filters, EXTRACTOR_VERSION, stdout=sys.stdout,
                               colours={p.id: p.colour for p in gaz.parties.values()})
    except BrokenPipeError:
        _quiet_broken_pipe()  # the reader (| head) stopped reading
    except (OSError, ValueError) as error:
        fail(f"cannot write {output or 'to standard output'}: {getattr(error, 'strerror', None) or error}", 1)
    if output is not None:
        what = f"{written} features" if written == len(table) or start or end else \
            f"{written} features ({len(table)} places and the sides of their crossings)"
        typer.echo(f"wrote {what} to {output}", err=True)


@app.command()
def evaluate(corpus: Path = typer.Argument(..., help="Labelled set (JSON Lines with text, report_date, gold): the "
                                            "project corpus or the real sets' format (shared/eval/README.md)."),
             min_f1: float = typer.Option(0.0, "--min-f1", help="Exit 1 when (place, party) F1 is below this."),
             show_errors: bool = typer.Option(False, "--errors", help="List every miss, grouped by cause."),
             extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Score extraction on a labelled corpus: precision, recall and F1, overall and per construction."""
    from extract.evaluate import evaluate as score
    from extract.evaluate import load_corpus
    from extract.pipeline import Extractor

    try:
        records = load_corpus(corpus)
    except (OSError, ValueError) as error:
        fail(str(error))
    result = score(records, Extractor(_gazetteer(extra)))
    typer.echo(result.table())
    if show_errors:
        typer.echo(result.misses_by_cause())
    if result.place_party.f1 < min_f1:
        fail(f"(place, party) F1 {result.place_party.f1:.3f} is below --min-f1 {min_f1}", 1)


def _claim_key_stored(store, claim_key: str) -> bool:
    import sqlalchemy as sa

    from geodata.store import claims

    column = claims.c["key"] if "key" in claims.c else claims.c["claim_key"]  # store schema 2 renamed it
    with store.engine.connect() as conn:
        return conn.execute(sa.select(claims.c.id).where(column == claim_key).limit(1)).first() is not None


@correct_app.command("reject")
def correct_reject(claim_key: str, note: str = typer.Option("", help="Why."),
                   author: str = typer.Option(os.environ.get("USER", ""), help="Who."),
                   db: Optional[str] = DB_OPTION) -> None:
    """Reject a claim (by its claim key); the map stops using it."""
    store = _open_store(db, create=False)
    if not _claim_key_stored(store, claim_key):
        fail(f"no claim with key {claim_key!r} in {store.db} (a claim's key is in the 'sources' of an export)")
    number = store.add_correction("reject", claim_key=claim_key, note=note, author=author)
    typer.echo(f"correction {number}: rejected claim {claim_key}", err=True)


@correct_app.command("set")
def correct_set(place_id: str, party: str, on: str, note: str = typer.Option("", help="Why."),
                author: str = typer.Option(os.environ.get("USER", ""), help="Who."),
                side: Optional[str] = typer.Option(None, "--side", help="Only this side of a crossing: its "
                                                   "country (IQ, SY, ...).", show_default="the whole crossing"),
                db: Optional[str] = DB_OPTION, extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Set who held PLACE_ID (or one --side of it) on date ON (YYYY-MM-DD); wins over extracted claims of that date."""
    gaz = _gazetteer(extra)
    if place_id not in gaz.places:
        fail(f"unknown place id {place_id!r}")
    if party not in gaz.parties:
        fail(f"unknown party id {party!r}")
    place = gaz.places[place_id]
    if side is not None:
        side = side.upper()
        if place.kind != "crossing" or side not in place.countries:
            fail(f"--side {side!r}: {place_id} has sides {', '.join(place.countries)}" if place.kind == "crossing"
                 else f"--side: {place_id} is a province, not a crossing with sides")
    store = _open_store(db, create=False)
    # The place's facts go into the store with the correction: an export without this --gazetteer
    # still knows where the place is.
    number = store.add_correction("set", place_id=place_id, party=party, event_date=parse_date(on, "ON"),
                                  note=note, author=author, side=side, gazetteer=gaz)
    where = f"{place_id} ({side} side)" if side else place_id
    typer.echo(f"correction {number}: {where} held by {party} on {on}", err=True)


@app.command()
def demo(db: Optional[str] = DB_OPTION) -> None:
    """Load the demo reports (our own words, sources cited in dashboard/demo/SOURCES.md) into the store."""
    from dashboard.demo_data import load_demo

    store = _open_store(db, create=True)
    result = load_demo(store)
    typer.echo(f"demo: {result.added} reports, {result.claims} claims added ({result.duplicates} already stored)",
               err=True)


@app.command()
def serve(db: Optional[str] = DB_OPTION,
          host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8501, help="Port to listen on."),
          load_demo_data: bool = typer.Option(True, "--demo/--no-demo",
                                              help="Load the demo reports when the store is empty."),
          tiles: str = typer.Option(os.environ.get("BORDERWATCH_TILES", "offline"),
                                    help="'offline' (borders only) or 'osm'."),
          boundaries: Optional[Path] = typer.Option(None, "--boundaries", envvar="BORDERWATCH_BOUNDARIES",
                                                    help="Admin-1 boundary file (GeoJSON, GeoPackage, Shapefile): "
                                                         "provinces drawn as polygons, joined by ISO code or name."),
          extra: Optional[Path] = GAZETTEER_OPTION) -> None:
    """Start the dashboard on the store (Streamlit), loading demo data into an empty store."""
    from geodata.store import resolve_db

    store = _open_store(db, create=True)
    if load_demo_data and store.counts()["reports"] == 0:
        from dashboard.demo_data import load_demo

        result = load_demo(store)
        typer.echo(f"empty store: loaded {result.added} demo reports ({result.claims} claims)", err=True)
    env = dict(os.environ, BORDERWATCH_DB=str(Path(resolve_db(db)).resolve()) if "://" not in resolve_db(db)
               else resolve_db(db), BORDERWATCH_TILES=tiles)
    if extra is not None:
        env["BORDERWATCH_GAZETTEER"] = str(extra.resolve())
    if boundaries is not None:
        from geodata.gazetteer import GazetteerError, province_boundaries

        try:  # a bad file is a one-line error here, not a traceback in the page
            matched = province_boundaries(_gazetteer(extra), boundaries)
        except GazetteerError as error:
            fail(str(error))
        typer.echo(f"boundaries: {len(matched)} provinces matched in {boundaries}", err=True)
        env["BORDERWATCH_BOUNDARIES"] = str(boundaries.resolve())
    from dashboard.app_runner import streamlit_command

    command = streamlit_command(host, port)
    typer.echo(f"Borderwatch on http://{host}:{port}  (store: {env['BORDERWATCH_DB']})", err=True)
    raise typer.Exit(subprocess.call(command, env=env))


def _quiet_broken_pipe() -> None:
    """The reader of our output went away (``| head``): stop without a message, as ``cat`` does.

    Standard output is pointed at /dev/null so that the interpreter's last flush cannot fail again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe


def main() -> None:
    """Entry point of the ``borderwatch`` console script."""
    from sqlalchemy.exc import DatabaseError

    try:
        app()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except DatabaseError as error:  # a store that fails mid-command: one line, not a traceback
        typer.echo(f"borderwatch: error: database: {str(error.orig or error).splitlines()[0]}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
