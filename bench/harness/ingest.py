"""What became of the events sent: read straight from the database (psycopg2, no Odoo)."""

import time

import psycopg2

from .load import percentile


def connect(db):
    connection = psycopg2.connect(dbname=db)
    connection.autocommit = True
    return connection


def count_states(connection, event_ids):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT state, count(*) FROM line_event WHERE webhook_event_id = ANY(%s) GROUP BY state
        """, [list(event_ids)])
        return dict(cursor.fetchall())


def wait_processed(connection, event_ids, deadline, poll=0.1):
    """Poll until every event is processed (done or failed) or the deadline passes.

    :return: (states, wall-clock time when the last one was seen processed, or None)
    """
    states = {}
    while time.monotonic() < deadline:
        states = count_states(connection, event_ids)
        if states.get("done", 0) + states.get("failed", 0) >= len(event_ids):
            return states, time.time()
        time.sleep(poll)
    return states, None


def event_rows(connection, event_ids):
    """Per event: state, and when its Discuss message was created (epoch seconds, UTC).

    ``mail_message.create_date`` is the creating transaction's ``now()``, with microseconds:
    the moment the cron's transaction for that event began (each event has its own).
    """
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT e.webhook_event_id, e.state, e.message_id, EXTRACT(EPOCH FROM m.create_date)::float8,
                   e.conversation_id, e.error
              FROM line_event e
         LEFT JOIN mail_message m ON m.id = e.message_id
             WHERE e.webhook_event_id = ANY(%s)
        """, [list(event_ids)])
        return {row[0]: {"state": row[1], "message_id": row[2], "stored_at": row[3], "conversation_id": row[4],
                         "error": row[5]} for row in cursor.fetchall()}


def ingestion(samples, rows, done_seen_at, jobs):
    """End-to-end figures of one phase: from the client's send to the message in Discuss."""
    sent = {s.tag: s for s in samples if 200 <= s.status < 300}
    stored = sorted(row["stored_at"] for tag, row in rows.items() if tag in sent and row["stored_at"])
    latencies = [(rows[tag]["stored_at"] - sample.sent_at) * 1000 for tag, sample in sent.items()
                 if rows.get(tag, {}).get("stored_at")]
    first_sent = min((s.sent_at for s in sent.values()), default=None)
    last_acked = max((s.sent_at + s.latency for s in sent.values()), default=None)
    missing = [tag for tag in sent if not rows.get(tag, {}).get("message_id")]
    result = {
        "events_acked": len(sent),
        "events_with_message": len(latencies),
        "missing_message": len(missing),
        "failed": sum(1 for tag in sent if rows.get(tag, {}).get("state") == "failed"),
        "errors": sorted({rows[tag]["error"] for tag in missing if rows.get(tag, {}).get("error")})[:5],
        "e2e_p50_ms": _round(percentile(latencies, 0.5)),
        "e2e_p90_ms": _round(percentile(latencies, 0.9)),
        "e2e_p99_ms": _round(percentile(latencies, 0.99)),
        "e2e_max_ms": _round(max(latencies) if latencies else None),
    }
    if stored and first_sent:
        end = done_seen_at or stored[-1]
        result.update({
            "ingest_s": round(end - first_sent, 3),
            "ingest_rate_per_s": round(len(stored) / max(end - first_sent, 1e-9), 1),
            "processed_while_sending": sum(1 for t in stored if t <= last_acked),
            "rate_while_sending_per_s": _rate([t for t in stored if t <= last_acked], first_sent, last_acked),
            "rate_after_sending_per_s": _rate([t for t in stored if t > last_acked], last_acked, stored[-1]),
            "cron_service_ms": _round(_service_time([t for t in stored if t > last_acked], jobs)),
        })
    return result


def _service_time(times, jobs):
    """One event's processing time in a cron job, from the backlog left when the webhooks stopped:
    every job is busy then, so each message takes ``jobs`` x the mean gap between messages."""
    if len(times) < 20:
        return None
    return jobs * (times[-1] - times[0]) / (len(times) - 1) * 1000


def _rate(times, start, end):
    if not times or end <= start:
        return None
    return round(len(times) / (end - start), 1)


def _round(value):
    return None if value is None else round(value, 1)
