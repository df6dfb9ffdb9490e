import os
import threading

import psycopg2
from psycopg2 import sql

from odoo import models, sql_db

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION


class _CronWaker:
    """Wakes Odoo's cron workers over one connection per process.

    The workers LISTEN for ``cron_trigger`` on the ``postgres`` database, and Odoo opens a new
    connection to it for each notification (it never pools connections to that database):
    PostgreSQL starts a backend for one statement, about 5 ms, on every post into a LINE
    conversation. This keeps the connection, in autocommit, for the life of the process.
    """

    def __init__(self):
        self._lock = threading.Lock()  # the threaded server's requests share the process
        self._connection = None
        self._pid = None

    def notify(self, dbname):
        with self._lock:
            try:
                self._notify(dbname)
            except psycopg2.Error:
                # The connection broke (PostgreSQL restarted, an idle timeout): once more, anew.
                self._connection = None
                self._notify(dbname)

    def _notify(self, dbname):
        if self._connection is None or self._connection.closed or self._pid != os.getpid():
            # A forked worker opens its own: it never uses, nor closes, its parent's.
            _db, info = sql_db.connection_info_for("postgres")
            self._connection = psycopg2.connect(**info)
            self._connection.autocommit = True
            self._pid = os.getpid()
        with self._connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT {}('cron_trigger', %s)").format(sql.Identifier(ODOO_NOTIFY_FUNCTION)),
                           [dbname])


_waker = _CronWaker()


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _notifydb(self):
        """The LINE queues' jobs are woken on a kept connection (see ``_CronWaker``)."""
        if self.id not in self.env["line.queue.mixin"]._queue_all_job_ids():
            return super()._notifydb()
        return _waker.notify(self.env.cr.dbname)
