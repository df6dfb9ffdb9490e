"""What became of every event sent, read straight from the database: lost, doubled, out of order, parked.

An event is planned by the sender (its webhookEventId, LINE message ID, customer and number); the
checks compare the plan with ``line_event`` (stored once, processed or parked) and with
``mail_message`` (one Discuss message per LINE message, a customer's messages in their order).
"""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from threading import Lock


@dataclass
class Planned:
    event_id: str
    message_id: str
    customer: str
    number: int
    user_id: str


@dataclass
class Plan:
    """The events a phase sends, and what the platform's side saw of them (acknowledged or not)."""

    events: dict = field(default_factory=dict)      # webhookEventId -> Planned
    acked: set = field(default_factory=set)         # webhookEventIds answered 2xx at least once
    answers: Counter = field(default_factory=Counter)  # webhookEventId -> requests that carried it
    resent: set = field(default_factory=set)        # acknowledged, then sent again (LINE's redelivery)
    retried: set = field(default_factory=set)       # not acknowledged, then sent again
    lock: Lock = field(default_factory=Lock)

    def add(self, event, customer, number):
        planned = Planned(event["webhookEventId"], event["message"]["id"], customer, number,
                          event["source"]["userId"])
        with self.lock:
            self.events[planned.event_id] = planned
        return planned

    def answered(self, sample):
        """``load.run_closed_loop``'s ``on_answer``: in the sender's thread, before its next request."""
        with self.lock:
            self.answers[sample.tag] += 1
            if 200 <= sample.status < 300:
                self.acked.add(sample.tag)

    def is_acked(self, event_id):
        with self.lock:
            return event_id in self.acked


def stored(connection, event_ids):
    """webhookEventId -> its row: state, attempts, error, whether a retry is due later, its Discuss message."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT webhook_event_id, state, attempts, error, next_attempt > now() AT TIME ZONE 'UTC', message_id
              FROM line_event WHERE webhook_event_id = ANY(%s)
        """, [list(event_ids)])
        return {row[0]: {"state": row[1], "attempts": row[2], "error": row[3], "retry_later": bool(row[4]),
                         "message_id": row[5]} for row in cursor.fetchall()}


def wait_settled(connection, event_ids, deadline, poll=0.2):
    """Poll until no stored event of ``event_ids`` is still to process (done or parked), or the deadline.

    :return: wall-clock time when seen settled, or None
    """
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM line_event WHERE webhook_event_id = ANY(%s) AND state = 'new'",
                           [list(event_ids)])
            if not cursor.fetchone()[0]:
                return time.time()
        time.sleep(poll)
    return None


def messages_per_line_id(connection, line_message_ids):
    """LINE message ID -> the IDs of the Discuss messages that carry it, ascending."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT line_message_id, array_agg(id ORDER BY id) FROM mail_message
             WHERE model = 'discuss.channel' AND line_message_id = ANY(%s) GROUP BY line_message_id
        """, [list(line_message_ids)])
        return dict(cursor.fetchall())


def conversations_per_user(connection, provider, user_ids):
    """LINE user ID -> (their one-to-one conversations, the assignee of the first)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.line_user_id, count(c.id), (array_agg(c.line_assignee_id ORDER BY c.id))[1]
              FROM line_identity i JOIN discuss_channel c ON c.line_identity_id = i.id AND c.line_chat_id IS NULL
             WHERE i.provider_name = %s AND i.line_user_id = ANY(%s) GROUP BY i.line_user_id
        """, [provider, list(user_ids)])
        return {user_id: (count, assignee) for user_id, count, assignee in cursor.fetchall()}


def out_of_order(plan, messages):
    """Discuss messages posted (by ID) after one with a higher number from the same customer."""
    per_customer = defaultdict(list)
    for planned in plan.events.values():
        if messages.get(planned.message_id):
            per_customer[planned.customer].append((messages[planned.message_id][0], planned.number))
    late = []
    for customer, posted in per_customer.items():
        highest = 0
        for _message_id, number in sorted(posted):
            if number < highest:
                late.append(f"{customer} #{number:02d} after #{highest:02d}")
            highest = max(highest, number)
    return late


def check(connection, plan, provider):
    """The phase's figures: each must be 0 but the counts of events sent and acknowledged."""
    rows = stored(connection, plan.events)
    messages = messages_per_line_id(connection, {p.message_id for p in plan.events.values()})
    not_stored = sorted(e for e in plan.acked if e not in rows)
    unfinished = sorted(e for e, row in rows.items() if row["state"] == "new")
    no_message = sorted(e for e, row in rows.items()
                        if row["state"] == "done" and not messages.get(plan.events[e].message_id))
    parked = sorted(e for e, row in rows.items() if row["state"] == "failed")
    doubled = {line_id: ids for line_id, ids in messages.items() if len(ids) > 1}
    conversations = conversations_per_user(connection, provider, {p.user_id for p in plan.events.values()})
    late = out_of_order(plan, messages)
    return {
        "events": len(plan.events),
        "requests": sum(plan.answers.values()),
        "acked": len(plan.acked),
        "not_acked": len(plan.events) - len(plan.acked),
        "retried_after_no_ack": len(plan.retried),
        "stored": len(rows),
        "lost": len(not_stored) + len(unfinished) + len(no_message),
        "lost_not_stored": len(not_stored),
        "lost_unfinished": len(unfinished),
        "lost_done_without_message": len(no_message),
        "unfinished_retry_later": sum(1 for e in unfinished if rows[e]["retry_later"]),
        "duplicated": sum(len(ids) - 1 for ids in doubled.values()),
        "out_of_order": len(late),
        "parked": len(parked),
        "conversations_doubled": sum(count - 1 for count, _assignee in conversations.values()),
        "redelivered": len(plan.resent),
        "redelivered_stored_once": sum(1 for e in plan.resent if e in rows and
                                       len(messages.get(plan.events[e].message_id) or ()) <= 1),
        "attempts_max": max((row["attempts"] for row in rows.values()), default=0),
        "examples": {
            "lost": (not_stored + unfinished + no_message)[:5],
            "duplicated": dict(list(doubled.items())[:5]),
            "out_of_order": late[:10],
        },
        "errors": _errors(rows, parked + unfinished),
        "assignees": Counter(str(assignee) for _count, assignee in conversations.values()),
    }


def _errors(rows, event_ids, top=8):
    """The errors recorded on parked or unfinished events, counted (first line of each)."""
    counts = Counter((rows[e]["error"] or "(no error recorded)").splitlines()[0][:300] for e in event_ids)
    return [{"events": n, "error": error} for error, n in counts.most_common(top)]


def spread(assignees, user_ids):
    """Round robin's fairness: conversations per assignee (those with none count as 0), max - min."""
    counts = {str(user_id): assignees.get(str(user_id), 0) for user_id in user_ids}
    return {"per_assignee": counts, "unassigned": assignees.get("None", 0),
            "max_minus_min": max(counts.values()) - min(counts.values()) if counts else None}
