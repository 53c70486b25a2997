"""``python -m bench [--quick] [--only NAME,...] [--seed N] [--markdown]``: run the figures, print one table."""

from __future__ import annotations

import os

# One process means one core: keep numeric libraries (spaCy's thinc, numpy) from spreading over both.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import replace  # noqa: E402


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    from bench.figures import FIGURES, FULL, QUICK, Context

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs: the whole suite in under two minutes")
    parser.add_argument("--only", default="", help=f"comma-separated figures: {','.join(FIGURES)}")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (default 0)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--reports", type=int, default=None,
                        help="override the size of the extraction corpus (e.g. for a smoke run)")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    scale = QUICK if args.quick else FULL
    if args.reports is not None:
        if args.reports < 16:
            parser.error("--reports must be at least 16 (the growth figure splits the corpus in 16)")
        scale = replace(scale, reports=args.reports, peer_reports=min(scale.peer_reports, args.reports),
                        spacy_reports=min(scale.spacy_reports, args.reports),
                        parallel_reports=min(scale.parallel_reports, args.reports),
                        length_reports=min(scale.length_reports, args.reports))
    ctx = Context(scale, args.seed, args.quick, verbose=not args.quiet)
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the work folder is removed on kill
    try:
        for name in names:
            ctx.log(f"{name} ...")
            figure_started = time.perf_counter()
            FIGURES[name](ctx)
            ctx.log(f"{name} done in {time.perf_counter() - figure_started:.1f} s")
    finally:
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print(f"Borderwatch benchmarks ({'quick' if args.quick else 'full'}, seed {args.seed}) on "
          f"{os.cpu_count()} cores, {_cpu_model()}, Python {platform.python_version()}; "
          f"{elapsed:.0f} s in all")
    print()
    print(ctx.table.render(markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
