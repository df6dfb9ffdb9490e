"""PostgreSQL notifications to Odoo's listeners over one connection per process.

Odoo's cron workers LISTEN for ``cron_trigger``, and its bus for ``imbus``, on the ``postgres``
database, and Odoo opens a new connection to it for each notification (it never pools
connections to that database): PostgreSQL starts a backend for one statement, about 5 ms of
its CPU and of the caller's time, for every post into a LINE conversation and every request
the sending job makes. A ``Notifier`` keeps the connection, in autocommit, for the life of the
process.
"""

import logging
import os
import select
import threading
import time

import psycopg2
from psycopg2 import sql

from odoo import sql_db

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)


def _connect(dbname="postgres"):
    """A connection, in autocommit, to ``dbname``: by default the ``postgres`` database, where
    Odoo's listeners are."""
    _db, info = sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    connection.autocommit = True
    return connection


class Notifier:
    def __init__(self):
        self._lock = threading.Lock()  # the threaded server's requests share the process
        self._connection = None
        self._pid = None

    def notify(self, channel, payload):
        """Send the notification; never raises: it is sent once the work is committed, and the
        listeners look again by themselves (cron workers every minute, the bus on its next poll)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._notify(channel, payload)
                    return
                except psycopg2.Error as error:
                    # The connection broke (PostgreSQL restarted, an idle timeout): once more, anew.
                    self._close()
                    if attempt == 2:
                        _logger.warning("Could not notify %s over PostgreSQL: %s", channel, error)

    def _close(self):
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()  # psycopg2 closes a broken connection without an error
        self._connection = None

    def backend_pid(self):
        return self._connection.get_backend_pid() if self._connection else None

    def _notify(self, channel, payload):
        if self._connection is None or self._connection.closed or self._pid != os.getpid():
            # A forked worker opens its own: it never uses, nor closes, its parent's.
            self._connection, self._pid = _connect(), os.getpid()
        with self._connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT {}(%s, %s)").format(sql.Identifier(ODOO_NOTIFY_FUNCTION)),
                           [channel, payload])


notifier = Notifier()


class Listener(threading.local):
    """Waits for notifications on the ``postgres`` database (where Odoo's cron workers listen for
    ``cron_trigger``) over one connection per process and thread (the threaded server runs cron
    jobs in threads), kept listening between ``start`` and ``stop``: what is notified between
    two waits is not missed."""

    def __init__(self):
        self._connection = None
        self._pid = None
        self._channels = ()

    def _listening(self):
        if self._connection is None or self._connection.closed or self._pid != os.getpid():
            self._connection, self._pid = _connect(), os.getpid()
        return self._connection

    def start(self, channels=("cron_trigger",)):
        """Listen from now on (what was notified before is forgotten): True when listening."""
        try:
            with self._listening().cursor() as cursor:
                for channel in channels:
                    cursor.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self._connection.notifies.clear()
        except psycopg2.Error as error:
            self._connection = None
            _logger.warning("Could not listen for %s: %s", ", ".join(channels), error)
            return False
        self._channels = tuple(channels)
        return True

    def stop(self):
        """Listen no more: PostgreSQL keeps every notification for a listener until it reads it."""
        try:
            if self._connection is not None and not self._connection.closed and self._pid == os.getpid():
                with self._connection.cursor() as cursor:
                    cursor.execute("UNLISTEN *")
                self._connection.notifies.clear()
        except psycopg2.Error:
            self._connection = None
        self._channels = ()

    def wait(self, dbname, timeout):
        """Wait up to ``timeout`` seconds for a notification for ``dbname``: the channels it came
        on (empty on the timeout, or when not listening: the connection broke)."""
        deadline = time.monotonic() + timeout
        connection = self._connection
        if connection is None or connection.closed or self._pid != os.getpid():
            return set()
        try:
            while True:
                connection.poll()
                heard = {notify.channel for notify in connection.notifies if notify.payload == dbname}
                connection.notifies.clear()
                left = deadline - time.monotonic()
                if heard or left <= 0:
                    return heard
                select.select([connection], [], [], left)
        except (psycopg2.Error, OSError) as error:
            self._connection = None
            _logger.warning("Could not listen for %s: %s", ", ".join(self._channels), error)
            return set()


listener = Listener()


class Waiting(threading.local):
    """Says to every process that a job of this thread waits for notifications: an advisory lock
    held on a connection of its own to the job's database, so that a job that dies, or a broken
    connection, never leaves it held. One holder per key and database at a time."""

    def __init__(self):
        self._connection = None
        self._pid = None

    def hold(self, dbname, key):
        """Hold ``key`` (two integers) in ``dbname``: False when another job holds it."""
        self.release()
        try:
            self._connection, self._pid = _connect(dbname), os.getpid()
            with self._connection.cursor() as cursor:
                for _attempt in range(3):  # a post looks at the lock for a few microseconds
                    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
                    if cursor.fetchone()[0]:
                        return True
                    time.sleep(0.005)
        except psycopg2.Error as error:
            _logger.warning("Could not take the lock %s: %s", key, error)
        self.release()
        return False

    def release(self, gate=None, timeout=5):
        """Let go (closing the connection), after waiting up to ``timeout`` seconds for the
        transactions that hold ``gate`` shared (two integers): False when they did not end."""
        connection, self._connection = self._connection, None
        if connection is None or self._pid != os.getpid():
            return True  # a forked worker never uses, nor closes, its parent's
        try:
            if gate is None or connection.closed:
                return gate is None
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")  # the key first, then wait
                cursor.execute("SET lock_timeout = %s", [f"{int(timeout * 1000)}ms"])
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", list(gate))
            return True
        except psycopg2.Error as error:  # the timeout, or a broken connection
            _logger.info("Transactions holding the lock %s did not end in %s s: %s", gate, timeout, error)
            return False
        finally:
            connection.close()


waiting = Waiting()
