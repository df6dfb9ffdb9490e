import json
import logging
import time
from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

from .. import const
from ..exceptions import LineQueueLockLost, LineReplyUnconfirmed
from ..tools import line_api

_logger = logging.getLogger(__name__)


class LineMessage(models.Model):
    """Sending queued requests to LINE: reply while a reply token is free, else push, once.

    The requests an operator posted one after the other in a conversation go to LINE as one
    request of at most five message objects (a *bundle*): LINE delivers them in order and counts
    one message against the monthly quota for a push, whatever the number of its bubbles. A
    bundle is made at its first attempt and kept for every retry: its rows share the first one's
    retry key, so that a retry sends exactly what LINE may have accepted.

    A run sends in rounds, each in two commits whatever its size: a round takes the due rows
    (in order, but for the conversations that wait for a retry or that another run holds), makes
    and checks their bundles and chooses reply or push; commits all of that; then calls LINE for
    each request and records the outcomes. Once committed, a crash cannot change what a request
    carries or how it goes: the next run sends the same rows with the same retry key (LINE
    answers 409 to what it accepted) or tries the same reply token (LINE refuses a used one), so
    LINE never gets a message twice.
    """

    _inherit = "line.message"

    @api.model
    def _cron_process_queue(self):
        """Rounds of sending while requests keep coming, for ``SEND_RUN_SECONDS`` at most: one run
        of Odoo's cron (some twenty queries and three commits of its own) sends them all."""
        job = self.with_context(**{const.CTX_QUEUE_JOB: True})  # the whole run is the job's
        run = {"deadline": time.monotonic() + const.SEND_RUN_SECONDS, "done": 0, "deferred": 0,
               "until": None, "retry_at": None, "gave_way_at": 0.0}
        waits = job._send_wait_begin()  # see line_message_wait.py
        try:
            job._send_rounds(run, waits)
        except Exception:
            if waits:
                job._send_wait_end(look_again=False)
                job._send_call_next_run()
            raise
        stragglers = waits and not job._send_wait_end()
        remaining = job._queue_remaining(run["deferred"])
        retry_soon = run["retry_at"] is not None and run["retry_at"] - time.monotonic() < const.CRON_POLL_SECONDS
        if waits and ((remaining and (stragglers or not run["done"])) or retry_soon):
            # Posted while this run stopped waiting, or a retry the next run can wait for (Odoo's
            # cron would only look in a minute).
            job._queue_current_job()._trigger()
        job._queue_end_run(run["done"], run["deferred"], remaining)

    @api.model
    def _send_rounds(self, run, waits):
        while True:
            round_done, full = self._send_round(run)
            run["done"] += round_done
            run["round_end"] = time.monotonic()
            if run["round_end"] > run["deadline"]:
                return
            self._queue_commit()  # this round's outcomes, before the next one takes its batch
            if full and round_done:
                continue
            if not waits:
                if round_done and self._queue_remaining(run["deferred"]):
                    continue
                return
            if round_done or run["until"] is None:
                run["until"] = min(run["deadline"], time.monotonic() + const.SEND_LINGER_SECONDS)
            if not self._send_wait(run):
                return

    @api.model
    def _send_round(self, run):
        """Take a batch, plan it, commit the plans, send: (requests done, a whole batch taken).
        Sets ``run["deferred"]`` (rows held back by a retry) and ``run["retry_at"]``."""
        rows, held, full = self._send_take(fields.Datetime.now(), run)
        plans, ended = rows._send_plan(held)
        done = len(ended)  # failed at once
        plans = self._send_checkpoint(plans)
        # What LINE will fetch (attachment access tokens) is written before LINE is called.
        self.env.flush_all()
        stalled = set()
        for bundle, event in plans:
            conversation = bundle.conversation_id.id
            if conversation in stalled or time.monotonic() > run["deadline"]:
                # Committed as planned: the next run sends it, after the retry it waits for.
                stalled.add(conversation)
                continue
            bundle[:1]._send_bundle(bundle, event)
            ended, done = ended | bundle, done + 1
            if bundle[0].state == self._queue_state:
                stalled.add(conversation)  # retried later: its next requests must not overtake it
                retry_at = self._send_retry_at(bundle[0].next_attempt)
                run["retry_at"] = min(run["retry_at"] or retry_at, retry_at)
        # The authors see their marks turn sent or failed: one notification each for the round.
        ended.filtered(lambda row: row.state != self._queue_state)._notify_marks()
        return done, full

    # ------------------------------------------------------------------
    # 1. Take the batch
    # ------------------------------------------------------------------

    @api.model
    def _send_take(self, now, run):
        """The due rows, locked, in order, but for the conversations where an earlier due row
        waits for a retry, and from where another run holds one: (rows, IDs of the due rows this
        transaction locked, a whole batch was due). Sets ``run["deferred"]``, the count of rows
        held back by a retry, and ``run["retry_at"]``, when the next retry falls due."""
        for _attempt in range(2):
            # One clock for what is due and what waits: a retry falling due between the two
            # searches would be neither, and a later row of its conversation would overtake it.
            waiting, next_attempt = self._queue_held_back(now)
            run["retry_at"] = self._send_retry_at(next_attempt)
            # Not the rows held back: a batch of them would leave every other conversation waiting.
            held_back = [("conversation_id", "in", list(waiting))]
            run["deferred"] = self.search_count(self._queue_due_domain(now) + held_back) if waiting else 0
            due = self.search(self._queue_due_domain(now) + ["!", *held_back], order=self._queue_order,
                              limit=self._queue_batch)
            if not due:
                return self, set(), False
            try:
                self.env.cr.execute(SQL("SELECT id FROM %s WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED",
                                        SQL.identifier(self._table), due.ids), log_exceptions=False)
            except SerializationFailure:
                # Another run changed one of them since this transaction's snapshot: nothing is
                # written yet, so look again in a new one.
                self.env.cr.rollback()
                continue
            held = {row_id for (row_id,) in self.env.cr.fetchall()}
            rows, closed = self.browse(), set()
            for row in due:
                conversation = row.conversation_id.id
                if row.id not in held:
                    closed.add(conversation)  # another run sends from here on
                elif conversation not in closed:
                    rows |= row
            return rows, held, len(due) >= self._queue_batch
        return self, set(), False

    # ------------------------------------------------------------------
    # 2. Plan each request, then commit the plans
    # ------------------------------------------------------------------

    def _send_plan(self, held):
        """For each of these rows, its request: [(bundle, reply event or none)], and the rows
        failed at once (what LINE would refuse, known without asking)."""
        plans, failed, planned, closed = [], self.browse(), set(), set()
        events = self._free_reply_events()
        queued = {}  # the rows of each conversation, in order: what a bundle may take
        for row in self:
            queued.setdefault(row.conversation_id.id, []).append(row.id)
        for row in self:
            conversation = row.conversation_id.id
            if row.id in planned or conversation in closed:
                continue
            problem = row._precheck()
            if problem:
                row._fail(*problem, notify=False)
                failed |= row
                continue
            try:
                bundle = row._bundle(held, self.browse([row_id for row_id in queued[conversation] if row_id > row.id]))
            except LineQueueLockLost:
                closed.add(conversation)  # another run holds part of it: that run sends it
                continue
            planned.update(bundle.ids)
            # A token replies once: to a conversation's first request (a reply is an attempt too).
            event = events.pop(conversation, None) if not (row.attempts or row.reply_event_id) else None
            bundle.write({"attempts": row.attempts + 1, "retry_key_used": True})
            if event:
                # Single use, whatever LINE answers: taken before calling LINE (see _send).
                event.reply_token_used = True
                row.reply_event_id = event
            plans.append((bundle, event or self.env["line.event"]))
        return plans, failed

    def _free_reply_events(self):
        """For these rows' conversations, the newest inbound event whose reply token is unused and
        fresh: {conversation ID: event}."""
        fresh = fields.Datetime.now() - timedelta(seconds=const.REPLY_TOKEN_TTL)
        events = self.env["line.event"].search([
            ("conversation_id", "in", self.conversation_id.ids), ("reply_token", "!=", False),
            ("reply_token_used", "=", False), ("create_date", ">=", fresh),
        ], order="event_timestamp desc") if self else self.env["line.event"]
        found = {}
        for event in events:
            found.setdefault(event.conversation_id.id, event)
        return found

    @api.model
    def _send_checkpoint(self, plans):
        """Commit the plans and lock their rows again: a plan whose rows another run took in
        between is that run's to send (it sends the same rows the same way)."""
        if not plans or self._queue_in_test_transaction():
            return plans
        self.env.cr.commit()  # pylint: disable=invalid-commit
        rows = self.browse([row_id for bundle, _event in plans for row_id in bundle.ids])
        try:
            self.env.cr.execute(SQL("SELECT id FROM %s WHERE id = ANY(%s) AND state = %s FOR UPDATE SKIP LOCKED",
                                    SQL.identifier(self._table), rows.ids, self._queue_state),
                                log_exceptions=False)
        except SerializationFailure:
            self.env.cr.rollback()  # committed: the next run sends them as planned
            return []
        held = {row_id for (row_id,) in self.env.cr.fetchall()}
        return [(bundle, event) for bundle, event in plans if held.issuperset(bundle.ids)]

    # ------------------------------------------------------------------
    # Bundles
    # ------------------------------------------------------------------

    def _bundle(self, held, later):
        """This row and the rows sent with it, in order, all locked by this transaction (``held``:
        the IDs it has locked already). ``later``: the rows of its conversation queued after it
        that this run took (a first attempt takes them while they fit in one request)."""
        self.ensure_one()

        def lock(row):
            return row.id in held or row._send_lock_more()

        if self.attempts or self.retry_key_used:  # made at the first attempt: the rows sharing its retry key
            rows = self.search([("retry_key", "=", self.retry_key), ("state", "=", self._queue_state),
                                ("id", ">", self.id)], order="id")
            for row in rows:
                if not lock(row):  # never send part of what LINE may have accepted
                    raise LineQueueLockLost(self._name, row.id)
            return self | rows
        bundle, count = self, len(json.loads(self.payload))
        for row in later[:const.MAX_MESSAGES_PER_REQUEST]:
            size = len(json.loads(row.payload))
            if (row.attempts or row.retry_key_used or row.next_attempt or count + size > const.MAX_MESSAGES_PER_REQUEST
                    or bundle[-1]._ends_with_quick_reply() or not lock(row)):
                break
            bundle, count = bundle | row, count + size
        if len(bundle) > 1:
            (bundle - self).write({"retry_key": self.retry_key, "retry_key_date": self.retry_key_date})
        return bundle

    def _send_lock_more(self):
        """Lock a row in a run that has written already: when another run changed it since this
        transaction's snapshot, the refusal must not roll back what this run wrote."""
        try:
            with self.env.cr.savepoint(flush=False):
                return bool(self._queue_lock(fresh=False))
        except SerializationFailure:
            return False

    def _ends_with_quick_reply(self):
        # LINE shows quick-reply buttons only under the last message of a request.
        return bool(json.loads(self.payload)[-1].get("quickReply"))

    # ------------------------------------------------------------------
    # 3. Reply or push
    # ------------------------------------------------------------------

    def _free_reply_event(self):
        """The newest inbound event of this conversation whose reply token is unused and fresh."""
        return self._free_reply_events().get(self.conversation_id.id, self.env["line.event"])

    def _send_bundle(self, bundle, event):
        """Call LINE for a planned request and record its outcome (never raising)."""
        try:
            result = self._send(bundle, event)
        except LineReplyUnconfirmed as unconfirmed:
            for row in bundle:
                row._fail("line_error", str(unconfirmed), notify=False, request_id=unconfirmed.__cause__.request_id)
        except line_api.LineError as error:
            self._on_error(bundle, error)
        else:
            self._on_sent(bundle, result)

    def _send(self, bundle, event):
        """Reply with ``event``'s token (taken for this attempt; replies cost nothing), else push
        with the retry key.

        A reply has no retry key: when LINE may have delivered a reply without saying so (a
        read timeout), the next attempt tries the same token again; LINE refusing it then means
        the first attempt used it, and the message is marked failed for a person to check, never
        pushed a second time.
        """
        client = self.channel_id._line_client()
        messages = [message for row in bundle for message in json.loads(row.payload)]
        if self.reply_event_id and not event:  # an earlier attempt tried this token: it may be delivered
            try:
                return dict(client.reply(self.reply_event_id.reply_token, messages), method="reply")
            except line_api.LineInvalidRequestError as error:
                raise LineReplyUnconfirmed(self.env._(
                    "LINE did not confirm the reply and its reply token is now used or expired: the "
                    "customer may have received it. Check with them before sending it again.")) from error
        if event:
            try:
                return dict(client.reply(event.reply_token, messages), method="reply", reply_event=event)
            except line_api.LineNetworkError as error:
                if error.maybe_delivered:
                    raise
                _logger.info("LINE reply for message %s not sent (%s): pushing", self.id, error)
            except (line_api.LineInvalidRequestError, line_api.LineServerError, line_api.LineRateLimitError) as error:
                # Not delivered (the token expired, or LINE failed before sending): push instead.
                _logger.info("LINE reply for message %s not used (%s): pushing", self.id, error)
            self.reply_event_id = False  # the push below is the message; later attempts push again
        return dict(client.push(self.recipient, messages, retry_key=self.retry_key), method="push")

    # ------------------------------------------------------------------
    # Outcome (the run tells the authors once, for the batch: see _notify_marks)
    # ------------------------------------------------------------------

    def _on_sent(self, bundle, result):
        sent = [str(m.get("id")) for m in result.get("sent_messages") or []]
        reply_event = result.get("reply_event", self.reply_event_id)
        for row in bundle:
            size = len(json.loads(row.payload))
            row._queue_done(
                counted=False, method=result["method"], reply_event_id=reply_event.id,
                request_id=result.get("request_id"), sent_message_ids=",".join(sent[:size]),
                sent_date=fields.Datetime.now(), failure_type=False)
            sent = sent[size:]
        self._forget_reply_token()
        bundle.notification_id.sudo().write({"notification_status": "sent", "failure_type": False,
                                             "failure_reason": False})

    def _on_error(self, bundle, error):
        """A passing failure is retried with the same retry key while LINE honours it (24 h)."""
        key_valid = self.retry_key_date > fields.Datetime.now() - timedelta(hours=const.RETRY_KEY_TTL_HOURS)
        if error.retryable and key_valid and self.attempts < self._queue_max_attempts:
            _logger.info("LINE message %s: attempt %d failed (request %s)", self.id, self.attempts, error.request_id)
            self._queue_retry(str(error), counted=False)  # counted when sent
            # the rows sent together are due together
            (bundle - self).write({"next_attempt": self.next_attempt, "error": self.error})
            return
        failure = self._explain(error)
        for row in bundle:
            row._fail(*failure, notify=False, request_id=error.request_id)

    def _forget_reply_token(self):
        """Single use: once this message is sent or failed, its event's reply token is erased."""
        if self.reply_event_id.reply_token:
            self.reply_event_id.reply_token = False
