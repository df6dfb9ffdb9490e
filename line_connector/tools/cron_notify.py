"""Waking Odoo's cron workers, over a connection each process keeps open.

Odoo's cron workers wait for a ``NOTIFY cron_trigger`` on the ``postgres`` database
(``ir.cron._notifydb``). Odoo sends it over a new connection each time: its pool never keeps a
connection to ``postgres``, so every trigger costs a PostgreSQL connection set up and torn down
(a new server process), more than storing a webhook costs. Here each process keeps one, used
under a lock by its threads.
"""

import logging
import os
import threading

import psycopg2
from psycopg2 import sql

from odoo import sql_db

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)

_NOTIFY = sql.SQL("SELECT {}('cron_trigger', %s)").format(sql.Identifier(ODOO_NOTIFY_FUNCTION))

_lock = threading.Lock()
_kept = {}  # "pid": the process that opened "connection"
# Connections a forked process inherited: never closed nor freed there (that would end them for
# the process that opened them, which shares their socket).
_inherited = []


def notify_cron_workers(dbname):
    """Wake the cron workers of ``dbname``, as ``ir.cron._notifydb`` does; call it once the work
    is committed. Never raises: the work is committed already, and workers that are not woken
    still look for due jobs every minute."""
    with _lock:
        for attempt in (1, 2):
            try:
                with _connection().cursor() as cr:
                    cr.execute(_NOTIFY, [dbname])
                return
            except psycopg2.Error as error:
                _close()  # broken (PostgreSQL restarted, an idle timeout): once more, on a new one
                if attempt == 2:
                    _logger.warning("Could not wake the cron workers of %s: %s", dbname, error)


def _connection():
    if "connection" in _kept and _kept["pid"] != os.getpid():
        _inherited.append(_kept.pop("connection"))
    if "connection" not in _kept:
        _dbname, info = sql_db.connection_info_for("postgres")
        connection = psycopg2.connect(**info)
        connection.autocommit = True
        with connection.cursor() as cr:
            # A wake-up need not wait for the disk: after a crash of PostgreSQL no worker listens to it.
            cr.execute("SET synchronous_commit TO off")
        _kept.update(pid=os.getpid(), connection=connection)
    return _kept["connection"]


def _close():
    connection = _kept.pop("connection", None)
    if connection is not None:
        connection.close()  # psycopg2 closes a broken connection without an error
