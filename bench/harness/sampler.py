"""A sampling profiler of the database: what Odoo's connections are doing, 40 times a second.

Each sample reads ``pg_stat_activity`` for the benchmark database; counting the samples in
which a (normalized) query is active, or waits on a lock, shows where the time goes and
whether transactions wait for each other, without any change to Odoo or PostgreSQL.
"""

import re
import threading
from collections import Counter

import psycopg2

_LITERALS = [
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\s+"), " "),
    (re.compile(r"(\?, )+\?"), "?..."),
]


def normalize(query, width=400):
    for pattern, replacement in _LITERALS:
        query = pattern.sub(replacement, query)
    return query.strip()[:width]


class PgSampler:
    """Samples in a thread; ``phase(name)`` labels what follows, ``report()`` sums it up."""

    def __init__(self, db, interval=0.025):
        self.db = db
        self.interval = interval
        self.label = None
        self.counts = {}       # label -> Counter of active samples
        self.ticks = Counter()  # label -> samples taken
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-sampler", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def phase(self, label):
        self.label = label

    def _run(self):
        connection = psycopg2.connect(dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                while not self._stop.wait(self.interval):
                    if self.label:
                        self._sample(cursor, self.label)
        finally:
            connection.close()

    def _sample(self, cursor, label):
        cursor.execute("""
            SELECT application_name, wait_event_type, wait_event, query
              FROM pg_stat_activity
             WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()
        """, [self.db])
        counter = self.counts.setdefault(label, Counter())  # (waiting for, query) -> samples
        self.ticks[label] += 1
        for application, wait_type, wait_event, query in cursor.fetchall():
            waiting = f"{wait_type}:{wait_event}" if wait_type else "cpu/io"
            if application.startswith("odoo"):  # Odoo's connections, not the benchmark's own polling
                counter[(waiting, normalize(query))] += 1

    def report(self, label, top=8):
        """The most sampled queries of a phase, with what they were waiting for."""
        counter = self.counts.get(label, Counter())
        ticks = self.ticks[label] or 1
        return {
            "samples": self.ticks[label],
            "top": [_row(key, n, ticks) for key, n in counter.most_common(top)],
            "lock_waits": [_row(key, n, ticks) for key, n in counter.most_common()
                           if key[0].startswith("Lock:")][:top],
        }


def _row(key, count, ticks):
    waiting, query = key
    return {"share": round(count / ticks, 3), "waiting": waiting, "query": query}
