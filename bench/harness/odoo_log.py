"""What Odoo's own log says about each request: queries, SQL time, other time (Odoo 18's perf info)."""

import re
from collections import defaultdict

from .load import percentile

_ACCESS = re.compile(r'"(?:GET|POST) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ '
                     r"(?P<queries>\d+) (?P<sql>[\d.]+) (?P<other>[\d.]+)")
_CRON = re.compile(r"Job '(?P<name>[^']+)' \(\d+\) processed (?P<done>\d+) records, (?P<left>\d+) records remaining")


def route_label(path):
    for prefix, label in (("/line/webhook/", "webhook"), ("/line_bench/floor/bare", "floor bare"),
                          ("/line_bench/floor/post/", "floor message_post")):
        if path.startswith(prefix):
            return label
    return None


def request_costs(log_text):
    """Per route: requests, and the median/p99 of queries, SQL ms and non-SQL ms per request."""
    per_route = defaultdict(list)
    for match in _ACCESS.finditer(log_text):
        label = route_label(match["path"])
        if label:
            per_route[label].append((int(match["queries"]), float(match["sql"]), float(match["other"])))
    return {label: _costs(rows) for label, rows in per_route.items()}


def _costs(rows):
    queries, sql, other = zip(*rows, strict=True)
    return {
        "requests": len(rows),
        "queries_p50": percentile(queries, 0.5),
        "sql_ms_p50": round(percentile(sql, 0.5) * 1000, 1),
        "other_ms_p50": round(percentile(other, 0.5) * 1000, 1),
        "sql_ms_p99": round(percentile(sql, 0.99) * 1000, 1),
        "other_ms_p99": round(percentile(other, 0.99) * 1000, 1),
    }


def cron_runs(log_text, name="LINE: process webhook events"):
    """How often the cron ran the LINE job, and how many events each batch took."""
    batches = [int(m["done"]) for m in _CRON.finditer(log_text) if m["name"] == name]
    return {"batches": len(batches), "events": sum(batches), "largest_batch": max(batches, default=0)}
