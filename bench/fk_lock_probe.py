#!/usr/bin/env python3
"""Why webhooks wait (and fail) while the cron assigns a new conversation: a 1-second reproduction.

The cron's ``_pick_assignee`` locks the ``line_channel`` row ``FOR UPDATE`` and then writes the
round-robin pointer; the webhook's ``INSERT INTO line_event`` checks its foreign key to that row
with ``FOR KEY SHARE``. Under REPEATABLE READ (Odoo's isolation), the insert waits for the cron's
transaction and then fails with a serialization error; ``FOR NO KEY UPDATE`` does neither.

    PYTHONPATH=. .venv/bin/python bench/fk_lock_probe.py     (uses a scratch database, dropped after)
"""

import subprocess
import threading
import time

import psycopg2

DB = "line_connector_fk_probe"


def connect(isolation="REPEATABLE READ"):
    connection = psycopg2.connect(dbname=DB)
    connection.set_session(isolation_level=isolation)
    return connection


def prepare():
    connection = connect()
    connection.autocommit = True
    connection.cursor().execute("""
        CREATE TABLE channel (id int PRIMARY KEY, pointer int);
        INSERT INTO channel VALUES (1, 0);
        CREATE TABLE event (id serial PRIMARY KEY, channel_id int REFERENCES channel (id));
    """)
    connection.close()


def webhook_insert(connection, outcome):
    started = time.perf_counter()
    try:
        connection.cursor().execute("INSERT INTO event (channel_id) VALUES (1)")
        connection.commit()
        outcome["result"] = "stored"
    except psycopg2.Error as error:
        connection.rollback()
        outcome["result"] = f"{error.__class__.__name__}: {str(error).splitlines()[0]}"
    outcome["ms"] = (time.perf_counter() - started) * 1000


def probe(lock, cron_seconds=0.3):
    cron, webhook = connect(), connect()
    webhook.cursor().execute("SELECT 1")  # the webhook's transaction (and snapshot) has begun
    cursor = cron.cursor()
    cursor.execute(f"SELECT id FROM channel WHERE id = 1 {lock}")
    cursor.execute("UPDATE channel SET pointer = pointer + 1 WHERE id = 1")
    outcome = {}
    thread = threading.Thread(target=webhook_insert, args=(webhook, outcome))
    thread.start()
    time.sleep(cron_seconds)  # the rest of the cron's transaction (posting the message, ...)
    cron.commit()
    thread.join()
    cron.close()
    webhook.close()
    return outcome


def main():
    subprocess.run(["dropdb", "--if-exists", DB], check=True, capture_output=True)
    subprocess.run(["createdb", DB], check=True)
    try:
        prepare()
        for lock in ("FOR UPDATE", "FOR NO KEY UPDATE"):
            outcome = probe(lock)
            print(f"cron: SELECT ... {lock:<17} + UPDATE pointer | webhook INSERT: {outcome['result']} "
                  f"after {outcome['ms']:.0f} ms")
    finally:
        subprocess.run(["dropdb", "--if-exists", DB], check=True)


if __name__ == "__main__":
    main()
