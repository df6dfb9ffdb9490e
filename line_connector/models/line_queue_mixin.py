import logging
from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models, modules, sql_db
from odoo.tools import SQL

from .. import const
from ..tools.pg_notify import notifier

_logger = logging.getLogger(__name__)


class LineQueueMixin(models.AbstractModel):
    """A work queue processed by cron jobs: oldest first, one transaction per item.

    The mixin owns an item's life: it waits in ``_queue_state`` (with an optional
    ``next_attempt``), is taken under a row lock, and ends done, or failed and parked after
    ``_queue_max_attempts`` attempts spaced by ``_queue_retry_delays``; a person can put parked
    items back (``action_reprocess``). The models say what processing an item is
    (``_queue_process_one``) and report its outcome with ``_queue_done``, ``_queue_retry``,
    ``_queue_wait`` or ``_queue_park``; or a model processes a run as one batch instead (the
    sending queue: ``line_message_send.py``), with the same outcomes and ``_queue_end_run``.

    ``const.QUEUE_JOBS`` identical cron jobs share the queue, run in parallel by Odoo's cron
    workers (Odoo runs one job in one worker at a time): whatever the mix of customers, every
    worker has work while a backlog lasts. Items of one sequence (a customer's events, a
    conversation's messages) keep their order: a run leaves the rest of a sequence to the run
    that holds one of its items, or to later when one of them waits for a retry.
    """

    _name = "line.queue.mixin"
    _description = "LINE Work Queue"
    _queue_state = "new"            # the state of an item waiting to be processed
    _queue_done_state = "done"
    _queue_failed_state = "failed"  # parked: a person looks at it
    _queue_order = "id"
    _queue_batch = 100
    _queue_cron_xmlid = None        # the first of the queue's identical jobs (data/ir_cron_data.xml)
    _queue_max_attempts = 5
    _queue_retry_delays = (5, 30, 120, 600)  # seconds before attempts 2, 3, ...

    attempts = fields.Integer(readonly=True, copy=False)
    error = fields.Text(readonly=True, copy=False)
    next_attempt = fields.Datetime(readonly=True, index=True, copy=False)

    # ------------------------------------------------------------------
    # The jobs
    # ------------------------------------------------------------------

    @api.model
    def _queue_job_xmlids(self):
        """The xmlids of the queue's jobs: the one declared in data, then its numbered copies."""
        return [self._queue_cron_xmlid] + [f"{self._queue_cron_xmlid}_{index}" for index in
                                           range(1, const.QUEUE_JOBS)]

    @api.model
    def _queue_jobs(self):
        """The queue's jobs (their IDs are cached by Odoo: no query)."""
        ids = [self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
               for xmlid in self._queue_job_xmlids()]
        return self.env["ir.cron"].browse([cron_id for cron_id in ids if cron_id])

    @api.model
    def _queue_sync_jobs(self):
        """Make the queue have exactly ``const.QUEUE_JOBS`` jobs (run at install and update).

        The copies' xmlids are noupdate: Odoo would otherwise delete them at the end of an update,
        as records no data file declares (jobs declared in data before 18.0.1.1.0 become copies).
        """
        first = self.env.ref(self._queue_cron_xmlid)
        module, name = self._queue_cron_xmlid.split(".")
        Data = self.env["ir.model.data"]
        copies = [xmlid.split(".")[1] for xmlid in self._queue_job_xmlids()[1:]]
        for index, copy_name in enumerate(copies, start=1):
            # With the job, the server action it runs (Odoo names the parent of a declared cron so).
            data = Data.search([("module", "=", module), ("name", "in", [copy_name, f"{copy_name}_ir_actions_server"])])
            if data:
                data.noupdate = True
                continue
            copy = first.copy({"name": f"{first.name} ({index + 1})"})
            Data.create({"module": module, "name": copy_name, "model": "ir.cron", "res_id": copy.id,
                         "noupdate": True})
        extra = Data.search([("module", "=", module), ("model", "=", "ir.cron"),
                             ("name", "=like", f"{name}\\_%"), ("name", "not in", copies)])
        self.env["ir.cron"].browse(extra.mapped("res_id")).unlink()

    @api.model
    def _queue_all_job_ids(self):
        """The IDs of the jobs of every queue (cached by Odoo: no query)."""
        return {job.id for name in self.pool["line.queue.mixin"]._inherit_children
                for job in self.env[name]._queue_jobs()}

    def _queue_wake(self):
        """Trigger a job for these items just queued, spread by ID, so that a burst wakes every job."""
        if self:
            self.env.cr.execute(self._queue_trigger_query(SQL("SELECT unnest(%s::int[]) AS id", self.ids)))
            self._queue_notify()

    @api.model
    def _queue_trigger_query(self, items):
        """The INSERT of ``ir.cron`` ``_trigger()``'s rows for the job of each of ``items`` (a query of
        the queued items' ``id``), spread by ID; what ``_trigger()`` does, in one query (it reads
        the job, the user, the time, then inserts). Call ``_queue_notify`` too.

        Always a new trigger, even when one is already due: a run that is in progress deletes
        the triggers older than its start when it ends, and could end before reaching these
        items. The trigger's time is when it is written, not the start of this transaction, so
        that it outlives a run that started meanwhile.
        """
        jobs = self._queue_jobs()
        jobs.flush_model(["active"])
        return SQL("""
            INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                 SELECT job.id, clock_timestamp() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC',
                        %(uid)s, now() AT TIME ZONE 'UTC'
                   FROM ir_cron job
                  WHERE job.active
                    AND job.id IN (SELECT (%(jobs)s::int[])[mod(item.id, %(count)s) + 1] FROM (%(items)s) item)
        """, uid=self.env.uid, jobs=jobs.ids, count=len(jobs), items=items)

    @api.model
    def _queue_notify(self, channel="cron_trigger"):
        """Wake the cron workers (``ir.cron._notifydb``), or who listens on ``channel``, once this
        transaction is committed, once."""
        postcommit, key = self.env.cr.postcommit, f"line_connector.notify.{channel}"
        if not postcommit.data.get(key):
            postcommit.data[key] = True
            dbname = self.env.cr.dbname
            postcommit.add(lambda: notifier.notify(channel, dbname))

    @api.model
    def _queue_current_job(self):
        """The job running now (when it is one of the queue's), else the first."""
        jobs = self._queue_jobs()
        running = self.env.context.get("cron_id")
        return jobs.filtered(lambda job: job.id == running) or jobs[:1]

    # ------------------------------------------------------------------
    # A run
    # ------------------------------------------------------------------

    @api.model
    def _queue_due_domain(self, now=None):
        return [("state", "=", self._queue_state), "|", ("next_attempt", "=", False),
                ("next_attempt", "<=", now or fields.Datetime.now())]

    @api.model
    def _cron_process_queue(self):
        """Process a batch of what is due, and say what is left (Odoo runs the job again at once)."""
        # One clock for what is due and what waits: an item whose retry fell due between the two
        # searches would be neither, and a later item of its sequence would overtake it.
        now = fields.Datetime.now()
        items = self.with_context(**{const.CTX_QUEUE_JOB: True}).search(
            self._queue_due_domain(now), order=self._queue_order, limit=self._queue_batch)
        run = {"waiting": self._queue_held_back(now)[0], "busy": set(), "handled": set(), "deferred": 0}
        # Read once for the batch (an item's sequence never changes): every commit empties the
        # cache, and an item skipped below would otherwise cost a query for nothing.
        sequences = {item.id: item._queue_sequence() for item in items}
        done = 0
        for item in items:
            if item.id not in run["handled"]:
                # Alone in its prefetch set: every commit empties the cache, and each item would
                # otherwise read its fields (and its message's) again for the whole batch.
                done += item.with_prefetch()._queue_take(sequences[item.id], run)
        self._queue_end_run(done, run["deferred"])

    @api.model
    def _queue_remaining(self, deferred):
        """The due items left, but the ``deferred`` ones (held back for an earlier one's retry).

        What another run holds counts as remaining: if that run ended before seeing the items it
        holds back, this job runs again for them.
        """
        return max(self.search_count(self._queue_due_domain()) - deferred, 0)

    @api.model
    def _queue_end_run(self, done, deferred, remaining=None):
        """Report a run's progress to Odoo and make sure a job runs for what is left.

        :param done: items processed; ``deferred``: due items held back for an earlier one's retry;
            ``remaining``: ``_queue_remaining(deferred)`` when known
        """
        if remaining is None:
            remaining = self._queue_remaining(deferred)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done and remaining:
            # Odoo runs a job a few batches in a row, then only when a worker wakes: wake one.
            self._queue_current_job()._trigger()
        later = self.search([("state", "=", self._queue_state), ("next_attempt", ">", fields.Datetime.now())],
                            order="next_attempt", limit=1)
        if later:
            self._queue_current_job()._trigger(at=later.next_attempt)

    @api.model
    def _queue_other_jobs_due(self):
        """A cron job other than this queue's is due (a worker that lingers must give way)."""
        self.env.cr.execute(SQL("""
            SELECT 1 FROM ir_cron WHERE active AND id != ALL(%(ours)s)
               AND (nextcall <= now() AT TIME ZONE 'UTC' OR id IN (
                    SELECT cron_id FROM ir_cron_trigger WHERE call_at <= now() AT TIME ZONE 'UTC'))
             LIMIT 1""", ours=self._queue_jobs().ids))
        return bool(self.env.cr.fetchone())

    def _queue_take(self, sequence, run):
        """Process this item unless its sequence waits or another run holds it, and commit.

        :param run: this run's state: ``waiting`` and ``busy`` sequences, the items ``handled``
            with an earlier one, the count of items ``deferred``
        :return: 1 when processed, else 0
        """
        if sequence is not None and sequence in run["waiting"]:
            run["deferred"] += 1  # an earlier item of its sequence waits: do not overtake it
            return 0
        if sequence is not None and sequence in run["busy"]:
            return 0
        lock = self._queue_lock()
        if not lock:
            if lock is None and sequence is not None:
                run["busy"].add(sequence)
            return 0
        processed = self._queue_process_one()
        run["handled"].update(processed.ids if processed else ())
        # Asked before the commit, which empties the cache the item's fields are still in.
        if sequence is not None and self._queue_waiting():
            run["waiting"].add(sequence)  # it waits for something: the rest of its sequence waits for it
        self._queue_commit()
        return 1

    def _queue_commit(self):
        if not self._queue_in_test_transaction():
            # One transaction per item, by design.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _queue_in_test_transaction(self):
        """The cursor is a test's own transaction, which must stay open (Odoo forbids its commit);
        a test's other cursors commit, as the cron workers' do."""
        cr = self.env.cr
        return bool(modules.module.current_test) and ("commit" in vars(cr) or isinstance(cr, sql_db.TestCursor))

    def _queue_sequence(self):
        """Items of one sequence are processed in queue order: while one of them waits (see
        ``_queue_waiting``) or another run processes one, the later ones wait too. None: the
        item is in no sequence."""
        return None

    def _queue_waiting(self):
        """The item, still queued, waits for something that holds back the rest of its sequence."""
        return False

    @api.model
    def _queue_held_back(self, now=None):
        """(sequences held back at the start of a run: one of their items waits for a later
        attempt; the earliest later attempt of an item, or False)."""
        waiting = self.search([("state", "=", self._queue_state),
                               ("next_attempt", ">", now or fields.Datetime.now())], order="next_attempt")
        return ({item._queue_sequence() for item in waiting if item._queue_waiting()} - {None},
                waiting[:1].next_attempt)

    def _queue_lock(self, fresh=True):
        """Take the item for this transaction.

        :param fresh: the transaction has only read since its last commit: when another run
            changed the item after its snapshot, start a new one and try again (else raise
            ``SerializationFailure``)
        :return: True when taken; None if another transaction is processing it, or has meanwhile
            set it to wait for a later attempt; False if it left the queue meanwhile (processed
            with another item, or by another run)
        """
        self.flush_recordset(["state", "next_attempt"])  # processed with another item in this transaction
        query = SQL("SELECT state, next_attempt FROM %s WHERE id = %s FOR UPDATE SKIP LOCKED",
                    SQL.identifier(self._table), self.id)
        try:
            # Not mute_logger(): setting a logger's level clears the cache of every logger (Odoo has
            # hundreds), twice per item.
            self.env.cr.execute(query, log_exceptions=False)
        except SerializationFailure:
            # Another run changed the item after this transaction read its snapshot (Odoo's
            # REPEATABLE READ): since the last commit this transaction only read, so start a new
            # one, which sees the change.
            if not fresh:
                raise
            self.env.cr.rollback()
            self.env.cr.execute(query)
        row = self.env.cr.fetchone()
        if row is None:
            return None
        state, next_attempt = row
        if state == self._queue_state and next_attempt and next_attempt > fields.Datetime.now():
            return None
        return state == self._queue_state

    def _queue_process_one(self):
        """Process one locked item and report its outcome with ``_queue_done``, ``_queue_retry``,
        ``_queue_wait`` or ``_queue_park`` (never raising).

        :return: optionally, the later items of the batch processed with it (this run skips them)
        """
        raise NotImplementedError

    # ------------------------------------------------------------------
    # An item's outcome
    # ------------------------------------------------------------------

    def _queue_done(self, counted=True, **vals):
        """Processed. ``counted``: this run was an attempt not yet counted."""
        self.write(dict({"state": self._queue_done_state, "error": False, "next_attempt": False,
                         "attempts": self.attempts + int(counted)}, **vals))

    def _queue_wait(self, seconds, **vals):
        """Not processed yet, through no failure: look again in ``seconds``."""
        self.write(dict({"next_attempt": fields.Datetime.now() + timedelta(seconds=seconds)}, **vals))

    def _queue_retry(self, error, counted=True, delay=None):
        """A failed attempt: retried after the backoff (or ``delay`` seconds), parked after the
        last attempt. ``counted``: the attempt is not counted yet.

        :return: True when the item is retried, False when parked
        """
        attempts = self.attempts + int(counted)
        if attempts >= self._queue_max_attempts:
            self.attempts = attempts
            self._queue_park(error)
            return False
        if delay is None:
            delays = self._queue_retry_delays
            delay = delays[min(attempts - 1, len(delays) - 1)]
        self._queue_wait(delay, attempts=attempts, error=self._queue_error_text(error))
        _logger.info("%s %s: attempt %d failed, retried in %s s: %s", self._name, self.id, attempts, delay, error)
        return True

    def _queue_park(self, error, **vals):
        """Failed for good: out of the queue until a person reprocesses it."""
        self.write(dict({"state": self._queue_failed_state, "next_attempt": False,
                         "error": self._queue_error_text(error)}, **vals))
        _logger.warning("%s %s parked after %d attempt(s): %s", self._name, self.id, self.attempts, error)

    @staticmethod
    def _queue_error_text(error):
        return error if isinstance(error, str) else f"{error.__class__.__name__}: {error}"

    def _queue_requeue(self, **vals):
        """Put parked items back in the queue, as new, and wake a job."""
        self.write(dict({"state": self._queue_state, "attempts": 0, "next_attempt": False, "error": False}, **vals))
        self._queue_wake()
