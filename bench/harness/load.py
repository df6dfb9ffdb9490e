"""Load: closed-loop senders (each sends its next request when the previous one is answered)
and paced senders (each sends at a fixed interval), over plain ``http.client`` connections."""

import http.client
import threading
import time
from dataclasses import dataclass


@dataclass
class Request:
    path: str
    body: bytes = b""
    headers: dict = None
    tag: str = None          # e.g. the webhookEventId the request carries
    port: int = None         # another server than the run's (several Odoo servers behind one URL)


@dataclass
class Sample:
    tag: str
    sent_at: float           # wall clock (time.time()) when the request started
    latency: float           # seconds, connection to last byte of the answer
    status: int              # 0: no answer (error)
    error: str = None


def send(port, request, timeout=30):
    """One request on its own connection, as LINE's platform sends each webhook."""
    sent_at, started = time.time(), time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", request.path, body=request.body, headers=request.headers or {})
        response = connection.getresponse()
        response.read()
        status, error = response.status, None
    except OSError as exc:
        status, error = 0, f"{exc.__class__.__name__}: {exc}"
    finally:
        connection.close()
    return Sample(request.tag, sent_at, time.perf_counter() - started, status, error)


def _run_threads(targets):
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_closed_loop(port, senders, deadline, on_answer=None):
    """Each sender (an iterable of Request, built lazily) in its own thread, one request at a time.

    :param deadline: time.monotonic() after which no sender starts a new request
    :param on_answer: called with each Sample in the sender's thread, before its next request is
        built (a sender that resends what was not acknowledged, as LINE does, reads it there)
    :return: (samples, truncated)
    """
    samples, lock, truncated = [], threading.Lock(), threading.Event()

    def loop(requests_):
        for request in requests_:
            if time.monotonic() >= deadline:
                truncated.set()
                return
            sample = send(request.port or port, request)
            with lock:
                samples.append(sample)
            if on_answer:
                on_answer(sample)

    _run_threads([lambda requests_=requests_: loop(requests_) for requests_ in senders])
    return samples, truncated.is_set()


def run_paced(port, senders, interval, duration, deadline):
    """Each sender sends one request every ``interval`` seconds (phases spread evenly) for ``duration``.

    A sender that falls behind (an answer slower than its interval) sends its next request at once.
    :return: (samples, truncated)
    """
    samples, lock = [], threading.Lock()
    start = time.monotonic() + 0.05
    stop = min(start + duration, deadline)

    def loop(index, requests_):
        next_at = start + interval * index / max(len(senders), 1)
        for request in requests_:
            if next_at >= stop:
                return
            time.sleep(max(0.0, next_at - time.monotonic()))
            sample = send(port, request)
            with lock:
                samples.append(sample)
            next_at += interval

    _run_threads([lambda i=i, r=r: loop(i, r) for i, r in enumerate(senders)])
    return samples, start + duration > deadline


def percentile(values, fraction):
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples):
    """Counts, rate and latency percentiles (ms) of one phase's samples."""
    ok = [s for s in samples if 200 <= s.status < 300]
    latencies = [s.latency * 1000 for s in ok]
    if samples:
        first = min(s.sent_at for s in samples)
        last = max(s.sent_at + s.latency for s in samples)
        duration = max(last - first, 1e-9)
    else:
        duration = 0.0
    statuses = {}
    for sample in samples:
        statuses[str(sample.status or sample.error)] = statuses.get(str(sample.status or sample.error), 0) + 1
    return {
        "requests": len(samples),
        "ok": len(ok),
        "statuses": statuses,
        "duration_s": round(duration, 3),
        "rate_per_s": round(len(ok) / duration, 1) if duration else None,
        "p50_ms": _round(percentile(latencies, 0.50)),
        "p90_ms": _round(percentile(latencies, 0.90)),
        "p99_ms": _round(percentile(latencies, 0.99)),
        "max_ms": _round(max(latencies) if latencies else None),
        # Every request, answered or not (a reset connection counts with the time it took to fail).
        "p99_all_ms": _round(percentile([s.latency * 1000 for s in samples], 0.99)),
    }


def _round(value):
    return None if value is None else round(value, 1)
