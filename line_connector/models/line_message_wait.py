import logging
import time
from datetime import timedelta

import psycopg2

from odoo import api, fields, models, modules
from odoo.tools import SQL

from .. import const
from ..tools import pg_notify as notify

_logger = logging.getLogger(__name__)


class LineMessage(models.Model):
    """The sending run that waits for the next request, and the posts that wake it.

    Operators answer one after the other: a run that has sent everything waits a moment for the
    next request (``SEND_LINGER_SECONDS``), so that one run of Odoo's cron sends them all. One run
    at a time waits, and holds an advisory lock that says so (``pg_notify.waiting``). A post
    that finds the lock held writes no cron trigger and wakes that run alone, on a channel of its
    own: a trigger's notification wakes every cron worker, and each would look for work.

    No request is left behind. A post holds the *gate* lock, shared, from its look at the lock
    to its commit; a run that stops waiting lets its lock go, then takes the gate, which waits
    for the posts that saw it waiting to be committed, and looks again for what is due. A run
    that dies lets its lock go with its connection.
    """

    _inherit = "line.message"  # pylint: disable=consider-merging-classes-inherited

    def _queue_wake(self):
        if self and self._send_run_waits():
            self._queue_notify(const.SEND_WAKE_CHANNEL)  # once committed: the run sees the rows
            return
        super()._queue_wake()

    @api.model
    def _send_run_waits(self):
        """A sending run waits for requests, and will see this transaction's once committed."""
        space, gate = const.SEND_GATE_LOCK
        space, waiting = const.SEND_WAITING_LOCK
        self.env.cr.execute(SQL("""
            WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(%(space)s, %(gate)s))
            SELECT CASE WHEN pg_try_advisory_lock_shared(%(space)s, %(waiting)s)
                        THEN NOT pg_advisory_unlock_shared(%(space)s, %(waiting)s) ELSE true END
              FROM gate""", space=space, gate=gate, waiting=waiting))
        return self.env.cr.fetchone()[0]

    @api.model
    def _send_wait_begin(self):
        """Be the run that waits for requests, when none is (and in a cron worker; in tests, when
        asked): True when this run waits. It listens from its start: no request is missed."""
        if not self.env.context.get("cron_id") or (
                modules.module.current_test and not self.env.context.get(const.CTX_SEND_LINGER)):
            return False
        if not notify.listener.start((const.SEND_WAKE_CHANNEL, "cron_trigger")):
            return False
        if notify.waiting.hold(self.env.cr.dbname, const.SEND_WAITING_LOCK):
            return True
        notify.listener.stop()
        return False

    @api.model
    def _send_wait(self, run):
        """Nothing is left: wait for a request until ``run["until"]``, or for the next retry when
        it falls due within Odoo's cron poll, unless another job is due. True when there may be
        something to send. Called with the last round committed: the wait holds no snapshot, and
        the next round sees what was notified.

        :param run: the run's waiting state: ``until``, ``retry_at`` (monotonic times or None),
            ``round_end`` (when the last round ended), ``gave_way_at`` (the last look at the
            other jobs)
        """
        now, retry_at, until = time.monotonic(), run["retry_at"], run["until"]
        if retry_at is not None and retry_at - now < const.CRON_POLL_SECONDS:
            # Waited for (up to the run's end, when the next run waits on): Odoo's cron would only
            # look for it in a minute.
            until = max(until, min(retry_at, run["deadline"]))
        if now >= until:
            return False
        if now - run["gave_way_at"] >= const.SEND_GIVE_WAY_SECONDS:
            if self._send_give_way(run):
                return False
            self._queue_commit()  # no snapshot held while waiting: the next round sees what was notified
        timeout = (until if retry_at is None else min(until, retry_at)) - now
        heard = notify.listener.wait(self.env.cr.dbname, max(timeout, 0))
        if "cron_trigger" in heard and self._send_give_way(run):
            return False
        if heard:
            # Posts in a row go in one round.
            time.sleep(max(run["round_end"] + const.SEND_ROUND_SECONDS - time.monotonic(), 0))
        return bool(heard) or (retry_at is not None and time.monotonic() >= retry_at)

    @api.model
    def _send_give_way(self, run):
        run["gave_way_at"] = time.monotonic()
        return self._queue_other_jobs_due()

    @api.model
    def _send_wait_end(self, look_again=True):
        """Wait no more: let the lock go, wait for the posts that saw this run waiting, and look
        again (a new transaction). False when they did not end in ``SEND_GATE_SECONDS``."""
        notify.listener.stop()
        ended = notify.waiting.release(const.SEND_GATE_LOCK, const.SEND_GATE_SECONDS)
        if look_again:
            self._queue_commit()
        return ended

    @api.model
    def _send_call_next_run(self):
        """This run failed (Odoo rolls it back): the next run sends what was posted meanwhile,
        not Odoo's cron at its next look."""
        try:
            self.env.cr.rollback()
            self._queue_current_job()._trigger()
            self._queue_commit()
        except psycopg2.Error as error:
            _logger.warning("Could not call the next sending run: %s", error)

    @api.model
    def _send_retry_at(self, retry_date):
        """The monotonic time of a retry's ``next_attempt`` (or None)."""
        if not retry_date:
            return None
        return time.monotonic() + max((retry_date - fields.Datetime.now()) / timedelta(seconds=1), 0)
