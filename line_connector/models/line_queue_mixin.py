from psycopg2.errors import SerializationFailure

from odoo import api, fields, models, modules
from odoo.tools import SQL, mute_logger


class LineQueueMixin(models.AbstractModel):
    """A work queue processed by cron jobs: oldest first, one transaction per item.

    Inbound events and outgoing messages both wait in a ``state`` with an optional
    ``next_attempt`` (a retry later). Several identical cron jobs share the queue, run in
    parallel by Odoo's cron workers (Odoo runs one job in one worker at a time): whatever the
    mix of customers, every worker has work while a backlog lasts. Items of one sequence (a
    customer's events, a conversation's messages) keep their order: a run locks each item so
    that two runs never process it twice, and leaves the rest of a sequence to the run that
    holds one of its items, or to later when one of them waits for a retry. Each item is
    committed on its own.
    """

    _name = "line.queue.mixin"
    _description = "LINE Work Queue"
    _queue_state = "new"
    _queue_order = "id"
    _queue_batch = 100
    _queue_crons = ()  # xmlids of the identical cron jobs that share the queue

    next_attempt = fields.Datetime(readonly=True, index=True)

    def _queue_wake(self):
        """Trigger a job for these items just queued, spread by ID, so that a burst wakes every job.

        Always a new trigger, even when one is already due: a run that is in progress deletes
        the triggers that were due when it ends, and could end before reaching these items.
        """
        crons = self._queue_crons
        for index in {item_id % len(crons) for item_id in self.ids}:
            self._queue_cron(crons[index])._trigger()

    @api.model
    def _queue_cron(self, xmlid=None):
        """A job of the queue (by default the one running now, else the first), without a query."""
        if xmlid is None:
            running = self.env.context.get("cron_id")
            if running in map(self._queue_cron_id, self._queue_crons):
                return self.env["ir.cron"].browse(running)
            xmlid = self._queue_crons[0]
        return self.env["ir.cron"].browse(self._queue_cron_id(xmlid))

    @api.model
    def _queue_cron_id(self, xmlid):
        return self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=True)  # cached

    @api.model
    def _queue_due_domain(self):
        return [("state", "=", self._queue_state), "|", ("next_attempt", "=", False),
                ("next_attempt", "<=", fields.Datetime.now())]

    @api.model
    def _cron_process_queue(self):
        """Process a batch of what is due, and say what is left (Odoo runs the job again at once)."""
        # In tests the test's own transaction must stay open: no commit.
        auto_commit = not modules.module.current_test
        items = self.search(self._queue_due_domain(), order=self._queue_order, limit=self._queue_batch)
        waiting = self._queue_waiting_sequences()
        busy = set()  # sequences another run is processing: theirs to finish
        done = deferred = 0
        for item in items:
            # Alone in its prefetch set: every commit empties the cache, and each item would
            # otherwise read its fields (and its message's) again for the whole batch.
            item = item.with_prefetch()
            sequence = item._queue_sequence()
            if sequence is not None and sequence in waiting:
                deferred += 1  # an earlier item of its sequence waits: do not overtake it
                continue
            if sequence is not None and sequence in busy:
                continue
            lock = item._queue_lock()
            if lock:
                item._queue_process_one()
                done += 1
                # Asked before the commit, which empties the cache the item's fields are still in.
                if sequence is not None and item._queue_waiting():
                    waiting.add(sequence)  # it waits for something: the rest of its sequence waits for it
                if auto_commit:
                    self.env.cr.commit()
            elif lock is None and sequence is not None:
                busy.add(sequence)
        # What another run holds counts as remaining: if that run ended before seeing the items it
        # holds back, this job runs again for them.
        remaining = max(self.search_count(self._queue_due_domain()) - deferred, 0)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done and remaining:
            # Odoo runs a job a few batches in a row, then only when a worker wakes: wake one.
            self._queue_cron()._trigger()
        later = self.search([("state", "=", self._queue_state), ("next_attempt", ">", fields.Datetime.now())],
                            order="next_attempt", limit=1)
        if later:
            self._queue_cron()._trigger(at=later.next_attempt)

    def _queue_sequence(self):
        """Items of one sequence are processed in queue order: while one of them waits (see
        ``_queue_waiting``) or another run processes one, the later ones wait too. None: the
        item is in no sequence."""
        return None

    def _queue_waiting(self):
        """The item, still queued, waits for something that holds back the rest of its sequence."""
        return False

    @api.model
    def _queue_waiting_sequences(self):
        """Sequences held back at the start of a run: one of their items waits for a later attempt."""
        waiting = self.search([("state", "=", self._queue_state), ("next_attempt", ">", fields.Datetime.now())])
        return {item._queue_sequence() for item in waiting if item._queue_waiting()} - {None}

    def _queue_lock(self):
        """Take the item for this transaction.

        :return: True when taken; None if another transaction is processing it, or has meanwhile
            set it to wait for a later attempt; False if it left the queue meanwhile (processed
            with another item, or by another run)
        """
        query = SQL("SELECT state, next_attempt FROM %s WHERE id = %s FOR UPDATE SKIP LOCKED",
                    SQL.identifier(self._table), self.id)
        try:
            with mute_logger("odoo.sql_db"):
                self.env.cr.execute(query)
        except SerializationFailure:
            # Another run changed the item after this transaction read its snapshot (Odoo's
            # REPEATABLE READ): since the last commit this transaction only read, so start a new
            # one, which sees the change.
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
        """Process one locked item, recording any failure on it (never raising)."""
        raise NotImplementedError
