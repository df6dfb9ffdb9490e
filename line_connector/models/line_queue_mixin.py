from odoo import api, fields, models, modules
from odoo.tools import SQL


class LineQueueMixin(models.AbstractModel):
    """A work queue processed by a cron job: oldest first, one transaction per item.

    Inbound events and outgoing messages both wait in a ``state`` with an optional
    ``next_attempt`` (a retry later); the cron takes a batch, locks each item so that two
    runs never process it twice, commits after each, and wakes itself for the next retry.
    """

    _name = "line.queue.mixin"
    _description = "LINE Work Queue"
    _queue_state = "new"
    _queue_order = "id"
    _queue_batch = 100
    _queue_cron = None  # xmlid of the cron job that processes the queue

    next_attempt = fields.Datetime(readonly=True, index=True)

    @api.model
    def _queue_due_domain(self, domain=()):
        return [("state", "=", self._queue_state), *domain, "|", ("next_attempt", "=", False),
                ("next_attempt", "<=", fields.Datetime.now())]

    @api.model
    def _cron_process_queue(self, domain=(), cron_xmlid=None):
        """Process what is due (within ``domain``: a partition of the queue, for one cron job)."""
        # In tests the test's own transaction must stay open: no commit.
        auto_commit = not modules.module.current_test
        items = self.search(self._queue_due_domain(domain), order=self._queue_order, limit=self._queue_batch)
        for item in items:
            # Alone in its prefetch set: every commit empties the cache, and each item would
            # otherwise read its fields (and its message's) again for the whole batch.
            item = item.with_prefetch()
            if item._queue_lock():
                item._queue_process_one()
                if auto_commit:
                    self.env.cr.commit()
        remaining = self.search_count(self._queue_due_domain(domain))
        self.env["ir.cron"]._notify_progress(done=len(items), remaining=remaining)
        later = self.search([("state", "=", self._queue_state), *domain, ("next_attempt", ">", fields.Datetime.now())],
                            order="next_attempt", limit=1)
        if later:
            self.env.ref(cron_xmlid or self._queue_cron)._trigger(at=later.next_attempt)

    def _queue_lock(self):
        """Take the item for this transaction; False if another transaction is processing it."""
        self.env.cr.execute(SQL("SELECT id FROM %s WHERE id = %s AND state = %s FOR UPDATE SKIP LOCKED",
                                SQL.identifier(self._table), self.id, self._queue_state))
        return bool(self.env.cr.fetchone())

    def _queue_process_one(self):
        """Process one locked item, recording any failure on it (never raising)."""
        raise NotImplementedError
