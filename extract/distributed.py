"""Parallel extraction on Dask: report chunks go to the workers of a cluster, claims come back in input order.

This module owns the step between reading and storing when more than one process extracts: the
client (the ``borderwatch extract`` process) reads and cleans the inputs, cuts the reports into
chunks and keeps a bounded window of chunks in flight on the cluster; each worker builds one
:class:`~extract.pipeline.Extractor` from the client's gazetteer (shipped once per worker, so a
user-extended gazetteer reaches every worker without a shared file system) and only extracts.
Results are yielded in input order as they come back, so the claims, and the order the store sees
them in, are identical to a one-process run. Skipped inputs never leave the client.

The cluster is either an existing one (``scheduler="tcp://host:8786"``) or a local one started
for the run (``workers=N``, one single-threaded worker process per core asked for).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from extract.pipeline import EXTRACTOR_VERSION, Extractor
from extract.sources import Report, Skipped
from geodata.claims import Claim
from geodata.gazetteer import Gazetteer

#: Seconds to wait for the scheduler to answer and for its first worker (``BORDERWATCH_DASK_TIMEOUT``).
DEFAULT_TIMEOUT = 10.0
#: A chunk (one Dask task) holds at most this many reports and about this many bytes of text.
CHUNK_REPORTS = 256
CHUNK_BYTES = 4 * 1024 * 1024

_NOISY_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")


class DaskError(RuntimeError):
    """The cluster cannot be used (Dask missing, scheduler unreachable, no workers, workers lost).

    The message is one line, fit for the command line.
    """


def _timeout() -> float:
    try:
        return float(os.environ.get("BORDERWATCH_DASK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _distributed():
    try:
        import distributed
    except ImportError:
        raise DaskError("parallel extraction needs Dask: pip install 'dask[distributed]'") from None
    return distributed


def quiet_dask_logging(level: int = logging.CRITICAL) -> None:
    """Keep Dask's start-up, shutdown, reconnect and heartbeat messages off the terminal.

    Failures that matter reach the caller as :class:`DaskError` (or the task's own exception).
    """
    try:  # importing distributed configures its loggers from Dask's config: set the levels after that
        import distributed  # noqa: F401
    except ImportError:
        pass
    known = list(logging.root.manager.loggerDict)  # Dask's config gives some children levels of their own
    for name in {*_NOISY_LOGGERS, *(n for n in known if n.split(".")[0] in _NOISY_LOGGERS)}:
        logging.getLogger(name).setLevel(level)


# -- worker side -----------------------------------------------------------------------------------
_EXTRACTORS: dict[str, Extractor] = {}


def _worker_extractor(gazetteer: Gazetteer, token: str) -> Extractor:
    """The worker's extractor for this gazetteer, built on first use (matchers compile once)."""
    extractor = _EXTRACTORS.pop(token, None) or Extractor(gazetteer)
    _EXTRACTORS[token] = extractor  # most recently used last
    while len(_EXTRACTORS) > 4:  # clients with other gazetteers may share the cluster; keep a few
        del _EXTRACTORS[next(iter(_EXTRACTORS))]
    return extractor


def _extract_chunk(gazetteer: Gazetteer, token: str, reports: list[tuple]) -> list[list[Claim]]:
    """Run on a worker: the claims of each ``(text, report_date, source, url)``, in order."""
    extractor = _worker_extractor(gazetteer, token)
    return [extractor.extract(text, day, source, url) for text, day, source, url in reports]


def _worker_version() -> str:
    return EXTRACTOR_VERSION


# -- client side -----------------------------------------------------------------------------------
def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _check_address(distributed, address: str) -> None:
    """Refuse a malformed address before a client is made (a failed one lingers at exit)."""
    try:
        host, _ = distributed.comm.get_address_host_port(address)
    except (ValueError, TypeError) as error:
        raise DaskError(f"{address!r} is not a Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                        f"({_first_line(error)})") from None
    if not host:
        raise DaskError(f"{address!r} is not a Dask scheduler address: it names no host, e.g. tcp://10.0.0.5:8786")


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None, timeout: float | None = None):
    """A Dask client on the cluster at ``scheduler``, or on a local cluster of ``workers`` processes.

    Raises :class:`DaskError` (one line) when Dask is missing, the scheduler cannot be reached within
    ``timeout`` seconds, no worker joins it in that time, or the workers cannot run borderwatch.
    """
    distributed = _distributed()
    timeout = _timeout() if timeout is None else timeout
    cluster = None
    try:
        if scheduler is not None:
            _check_address(distributed, scheduler)
            try:
                client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise DaskError(f"cannot reach the Dask scheduler at {scheduler} ({_first_line(error)}; is "
                                "'dask scheduler' running there? BORDERWATCH_DASK_TIMEOUT sets the wait)") from None
        else:
            cluster = distributed.LocalCluster(n_workers=max(1, workers or 1), threads_per_worker=1,
                                               processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0",  # no fixed port to clash
                                               silence_logs=logging.CRITICAL)
            client = distributed.Client(cluster, set_as_default=False)
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise DaskError(f"no Dask worker joined the scheduler at {scheduler or 'the local cluster'} within "
                            f"{timeout:g} s "
                            "(start some with: dask worker ADDRESS)") from None
        try:
            versions = set(client.run(_worker_version).values())
        except Exception as error:  # noqa: BLE001  (whatever a worker without borderwatch raises)
            raise DaskError(f"the Dask workers cannot run borderwatch ({type(error).__name__}: "
                            f"{_first_line(error)}); install it on every worker") from None
        if versions != {EXTRACTOR_VERSION}:
            raise DaskError(f"the Dask workers run extractor version(s) {', '.join(sorted(versions))}, "
                            f"this client {EXTRACTOR_VERSION}; install the same borderwatch on every worker")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _gazetteer_token(gazetteer: Gazetteer) -> str:
    return hashlib.sha256(pickle.dumps(gazetteer, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()[:16]


def _chunks(items: Iterable[Report | Skipped], reports: int, size: int) -> Iterator[list[Report | Skipped]]:
    """Consecutive runs of items holding at most ``reports`` reports and about ``size`` bytes of text.

    The first chunks are smaller (an eighth, doubling): every worker gets work at once and the first
    claims come back soon; later ones are full size, which keeps the per-task cost low.
    """
    limit = max(1, reports // 8)
    chunk, count, total = [], 0, 0
    for item in items:
        chunk.append(item)
        if isinstance(item, Report):
            count += 1
            total += len(item.text)
        if count >= limit or total >= size:
            yield chunk
            chunk, count, total = [], 0, 0
            limit = min(reports, 2 * limit)
    if chunk:
        yield chunk


def extract_on_dask(items: Iterable[Report | Skipped], gazetteer: Gazetteer, client, *,
                    chunk_reports: int = CHUNK_REPORTS, chunk_bytes: int = CHUNK_BYTES,
                    window: int | None = None) -> Iterator[tuple[Report | Skipped, list[Claim] | None]]:
    """``(item, claims)`` for every item, in input order; ``claims`` is None for a :class:`Skipped`.

    At most ``window`` chunks (default: twice the cluster's threads, plus two) are in flight, so the
    client holds a bounded part of the input however large the archive.
    """
    distributed = _distributed()
    shipped = client.scatter(gazetteer, broadcast=True, hash=False)
    token = _gazetteer_token(gazetteer)
    if window is None:
        window = 2 * max(1, sum(client.nthreads().values())) + 2
    in_flight: deque = deque()

    def results(chunk, future):
        try:
            found = iter(future.result() if future is not None else ())
        except (distributed.client.FutureCancelledError, distributed.KilledWorker, OSError) as error:
            raise DaskError(f"lost the Dask cluster during extraction ({type(error).__name__}: "
                            f"{_first_line(error)})") from None
        for item in chunk:
            yield (item, None) if isinstance(item, Skipped) else (item, next(found))

    try:
        for chunk in _chunks(items, chunk_reports, chunk_bytes):
            payload = [(r.text, r.report_date, r.source, r.url) for r in chunk if isinstance(r, Report)]
            future = client.submit(_extract_chunk, shipped, token, payload, pure=False) if payload else None
            in_flight.append((chunk, future))
            while len(in_flight) >= window:
                yield from results(*in_flight.popleft())
        while in_flight:
            yield from results(*in_flight.popleft())
    finally:
        for _, future in in_flight:
            if future is not None:
                future.cancel()


def dask_pairs(items: Iterable[Report | Skipped], gazetteer: Gazetteer, scheduler: str | None = None,
               workers: int | None = None, chunk_reports: int = CHUNK_REPORTS
               ) -> Iterator[tuple[Report | Skipped, list[Claim] | None]]:
    """Connect (or start a local cluster), extract every item in order, then disconnect (or stop it)."""
    with dask_client(scheduler, workers) as client:
        yield from extract_on_dask(items, gazetteer, client, chunk_reports=chunk_reports)
