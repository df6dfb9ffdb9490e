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


_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<pid>\d+) (?P<level>[A-Z]+) \S+ (?P<logger>\S+): "
                     r"(?P<message>.*)$")
_VARIABLE = [(re.compile(r"'[^']*'|\"[^\"]*\""), "'?'"), (re.compile(r"\b[0-9A-Fa-f]*\d[0-9A-Fa-f]*\b"), "N")]


def problems(log_text, top=12):
    """Odoo's warnings and errors, by kind (numbers and quoted values masked), with one example each.

    A record's kind is its first line and, when it has more (a traceback, a bad query's
    PostgreSQL error), its last line: the exception that was raised.
    """
    kinds, examples, record = {}, {}, None

    def close(record):
        if record and record[0] in ("WARNING", "ERROR", "CRITICAL"):
            level, logger, lines = record
            text = lines[0] + (" | " + lines[-1].strip() if len(lines) > 1 else "")
            kind = f"{level} {logger}: {_mask(_short(lines[0]))}" + (f" | {_mask(lines[-1].strip())}"
                                                                     if len(lines) > 1 else "")
            kinds[kind] = kinds.get(kind, 0) + 1
            examples.setdefault(kind, text[:400])

    for line in log_text.splitlines():
        match = _RECORD.match(line)
        if match:
            close(record)
            record = (match["level"], match["logger"], [match["message"]])
        elif record and line.strip():
            record[2].append(line)
    close(record)
    ordered = sorted(kinds.items(), key=lambda item: -item[1])[:top]
    return [{"count": count, "kind": kind, "example": examples[kind]} for kind, count in ordered]


def _short(message):
    """A bad query's first words (``INSERT INTO line_event``), else the message's first 160 characters."""
    query = re.match(r"bad query: b'(?:\\n|\s)*((?:\S+ ){0,3}\S+)", message)
    return f"bad query: {query[1]} ..." if query else message[:160]


def request_retries(log_text):
    """Requests Odoo ran again after a concurrency failure (``odoo.service.model``), by failure."""
    kinds = {}
    for kind in re.findall(r"odoo\.service\.model: (\w+), \d+ tries left", log_text):
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _mask(text):
    for pattern, replacement in _VARIABLE:
        text = pattern.sub(replacement, text)
    return text


def workers_started(log_text, kind="WorkerCron"):
    """The PIDs of the workers of ``kind`` that said they were alive (a restarted worker says it again)."""
    return [int(pid) for pid in re.findall(rf"Worker {kind} \((\d+)\) alive", log_text)]
