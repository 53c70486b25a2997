"""Timing and reporting helpers: interleaved repeats, medians, the result table."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """Wall seconds of one call (garbage collected first, so a previous step's garbage is not billed)."""
    gc.collect()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def interleaved(works: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Run each work ``repeats`` times, alternating between them (forward, then backward order).

    On a shared machine the load drifts; running the compared things back to back, in alternating
    order, puts each under the same drift, so their ratio is steadier than either time.
    """
    times: dict[str, list[float]] = {name: [] for name in works}
    names = list(works)
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else reversed(names):
            seconds, _ = timed(works[name])
            times[name].append(seconds)
    return times


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that over a fork and exec, so a probe
    started by a benchmark holding a million claims would report the benchmark's memory.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status")


def median(values) -> float:
    return statistics.median(values)


@dataclass
class Row:
    """One line of the table. ``better`` is ``higher`` or ``lower`` (or ``info`` for no target)."""

    figure: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = "info"
    note: str = ""
    shown: str | None = None  # the value as printed, when the unit is not enough
    target_shown: str | None = None

    @property
    def ratio(self) -> float | None:
        """How far past the target (>= 1 meets it), whichever way is better."""
        if self.target is None or self.value is None or self.better == "info":
            return None
        if self.better == "higher":
            return self.value / self.target
        return self.target / self.value if self.value else float("inf")

    def cells(self) -> list[str]:
        value = self.shown if self.shown is not None else fmt(self.value, self.unit)
        if self.target is None:
            target = self.target_shown or "-"
        else:
            sign = ">=" if self.better == "higher" else "<="
            target = self.target_shown or f"{sign} {fmt(self.target, self.unit)}"
        ratio = self.ratio
        if ratio is None:
            verdict = "info"
        elif ratio >= 1:
            verdict = f"ok ({ratio:.2f}x)"
        else:
            verdict = f"MISS ({ratio:.2f}x)"
        return [self.figure, value, target, verdict]


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit in ("reports/s", "claims/s"):
        return f"{value:,.0f} {unit}"
    if unit == "MB/s":
        return f"{value:.2f} MB/s"
    return f"{value:,.3g} {unit}".strip()


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def render(self, markdown: bool = False) -> str:
        header = ["figure", "value", "target", "ratio / verdict"]
        body = [row.cells() for row in self.rows]
        notes = [(i + 1, row.note) for i, row in enumerate(self.rows) if row.note]
        numbered = {i: n for n, (i, _) in enumerate(notes, start=1)}
        for index, cells in enumerate(body, start=1):
            if index in numbered:
                cells[0] = f"{cells[0]} [{numbered[index]}]"
        if markdown:
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(cells) + " |" for cells in body]
        else:
            widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
            line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
            lines = [line(header), line(["-" * w for w in widths]), *map(line, body)]
        if notes:
            lines.append("")
            lines += [f"[{n}] {note}" for n, (_, note) in enumerate(notes, start=1)]
        return "\n".join(lines)
