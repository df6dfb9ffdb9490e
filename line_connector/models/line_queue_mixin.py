import zlib

from odoo import api, fields, models, modules
from odoo.tools import SQL


class LineQueueMixin(models.AbstractModel):
    """A work queue processed by cron jobs: oldest first, one transaction per item.

    Inbound events and outgoing messages both wait in a ``state`` with an optional
    ``next_attempt`` (a retry later). The queue is split in partitions, one cron job each, run
    in parallel by Odoo's cron workers; items that must stay in order share a partition. A job
    takes a batch of its partition, locks each item so that two runs never process it twice,
    commits after each, and wakes itself for the next retry.
    """

    _name = "line.queue.mixin"
    _description = "LINE Work Queue"
    _queue_state = "new"
    _queue_order = "id"
    _queue_batch = 100
    _queue_crons = ()  # xmlids of the cron jobs that process the queue, one per partition

    next_attempt = fields.Datetime(readonly=True, index=True)
    partition = fields.Integer(readonly=True, index=True, help="Which processing job takes this item.")

    @api.model
    def _queue_partition(self, key):
        """The partition of the items sharing ``key`` (kept in order with each other): a record ID,
        or a string such as a LINE user ID."""
        number = key if isinstance(key, int) else zlib.crc32(key.encode())
        return number % len(self._queue_crons)

    @api.model
    def _queue_wake(self, partitions):
        """Trigger the jobs of ``partitions`` for items just queued.

        Always a new trigger, even when one is already due: a run that is in progress deletes
        the triggers that were due when it ends, and could end before reaching these items.
        """
        for partition in set(partitions):
            self.env.ref(self._queue_crons[partition])._trigger()

    @api.model
    def _queue_due_domain(self, domain=()):
        return [("state", "=", self._queue_state), *domain, "|", ("next_attempt", "=", False),
                ("next_attempt", "<=", fields.Datetime.now())]

    @api.model
    def _cron_process_queue(self, partition=None):
        """Process what is due in ``partition`` (all partitions if None: tests, shell)."""
        domain = [] if partition is None else [("partition", "=", partition)]
        # In tests the test's own transaction must stay open: no commit.
        auto_commit = not modules.module.current_test
        items = self.search(self._queue_due_domain(domain), order=self._queue_order, limit=self._queue_batch)
        held = self._queue_waiting_sequences(domain)
        done = skipped = 0
        for item in items:
            # Alone in its prefetch set: every commit empties the cache, and each item would
            # otherwise read its fields (and its message's) again for the whole batch.
            item = item.with_prefetch()
            sequence = item._queue_sequence()
            if sequence is not None and sequence in held:
                skipped += 1  # an earlier item of its sequence waits: do not overtake it
                continue
            lock = item._queue_lock()
            if lock:
                item._queue_process_one()
                done += 1
                # Asked before the commit, which empties the cache the item's fields are still in.
                if sequence is not None and item._queue_waiting():
                    held.add(sequence)  # it waits for something: the rest of its sequence waits for it
                if auto_commit:
                    self.env.cr.commit()
            elif lock is None and sequence is not None:
                held.add(sequence)  # another run is processing it
        remaining = max(self.search_count(self._queue_due_domain(domain)) - skipped, 0)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        later = self.search([("state", "=", self._queue_state), *domain, ("next_attempt", ">", fields.Datetime.now())],
                            order="next_attempt", limit=1)
        if later:
            self.env.ref(self._queue_crons[later.partition])._trigger(at=later.next_attempt)

    def _queue_sequence(self):
        """Items of one sequence are processed in queue order: while one of them waits (see
        ``_queue_waiting``), the later ones wait too. None: the item is in no sequence."""
        return None

    def _queue_waiting(self):
        """The item, still queued, waits for something that holds back the rest of its sequence."""
        return False

    @api.model
    def _queue_waiting_sequences(self, domain):
        """Sequences held back at the start of a run: one of their items waits for a later attempt."""
        waiting = self.search([("state", "=", self._queue_state), *domain,
                               ("next_attempt", ">", fields.Datetime.now())])
        return {item._queue_sequence() for item in waiting if item._queue_waiting()} - {None}

    def _queue_lock(self):
        """Take the item for this transaction.

        :return: True when taken; None if another transaction is processing it; False if it
            left the queue meanwhile (processed with another item, or by another run)
        """
        self.env.cr.execute(SQL("SELECT state FROM %s WHERE id = %s FOR UPDATE SKIP LOCKED",
                                SQL.identifier(self._table), self.id))
        row = self.env.cr.fetchone()
        if row is None:
            return None
        return row[0] == self._queue_state

    def _queue_process_one(self):
        """Process one locked item, recording any failure on it (never raising)."""
        raise NotImplementedError
