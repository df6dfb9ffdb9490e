"""PostgreSQL's own log: the errors in one database, each with the statement that raised it.

Odoo logs a serialization failure that it or the addon handles without the statement (a cron
job's event) or with its whole text (a request); PostgreSQL logs each with the statement
(``log_min_error_statement`` is ``error`` by default), which says which lock or row was contended.
"""

import re
from collections import Counter
from pathlib import Path

from .sampler import normalize

_LINE = re.compile(r"@(?P<db>\S+) (?P<kind>ERROR|STATEMENT|FATAL):\s+(?P<text>.*)$")


def log_path(connection):
    """The server's log file when this process may read it (the logging collector's, or Debian's), else None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_logfile(), current_setting('data_directory'), "
                       "current_setting('cluster_name', true), current_setting('server_version_num')")
        current, data_directory, cluster, version = cursor.fetchone()
    candidates = []
    if current:
        candidates.append(Path(current) if current.startswith("/") else Path(data_directory) / current)
    if cluster and "/" in cluster:  # Debian's pg_ctlcluster: the server's stderr, /var/log/postgresql
        candidates.append(Path("/var/log/postgresql") / f"postgresql-{cluster.replace('/', '-')}.log")
    candidates.append(Path("/var/log/postgresql") / f"postgresql-{int(version) // 10000}-main.log")
    for path in candidates:
        try:
            with open(path, "rb"):
                return path
        except OSError:
            continue
    return None


def errors(path, db, since, top=10):
    """The errors logged in ``db`` after byte ``since`` of ``path``, counted by (error, statement)."""
    if not path:
        return None
    with open(path, "rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    counts, error, pending = Counter(), None, None
    for line in text.splitlines():
        match = _LINE.search(line)
        if pending and not match and line.strip():  # a statement that starts on its next line
            counts[(pending, normalize(line, width=160))] += 1
            pending = None
            continue
        if not match or match["db"] != db:
            continue
        if match["kind"] == "STATEMENT" and error:
            if match["text"].strip():
                counts[(error, normalize(match["text"], width=160))] += 1
            else:
                pending = error
            error = None
        elif match["kind"] != "STATEMENT":
            if error:
                counts[(error, None)] += 1
            error = match["text"][:160]
    for left in (error, pending):
        if left:
            counts[(left, None)] += 1
    return [{"count": n, "error": error, "statement": statement} for (error, statement), n in counts.most_common(top)]
