#!/usr/bin/env python3
"""What an operator's post into a LINE conversation costs, next to an ordinary Discuss post, and
what the sending job costs per request to LINE: SQL queries, time, step by step.

Deterministic where the benchmark is not: one process, one thread, no other load of its own. Odoo
runs in this process (no server, no cron worker): Discuss's own route ``/mail/message/post`` is
called through Odoo's WSGI application (werkzeug's test client, the operator's session cookie),
and the sending job through Odoo's cron runner (``ir.cron._process_jobs``, as a cron worker
calls it when woken), against the LINE platform emulator started in this process.

    PYTHONPATH=. .venv/bin/python bench/post_probe.py --db DB [--posts 30] [--profile DIR]

DB is a database with line_connector installed (a benchmark's, e.g. after ``bench/outbound.py
--db DB``); the probe adds its own LINE channel, customers and channels to it, and commits them.
"""
# ruff: noqa: T201 (a command that prints its results)
import argparse
import collections
import cProfile
import functools
import json
import os
import pstats
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

STEPS = {
    "post": (
        ("discuss.channel", "_message_post_after_hook"),
        ("line.message", "_enqueue"),
        ("line.message", "_prepare_line_messages"),
        ("line.message", "_create_notifications"),
        ("line.message", "_precheck"),
        ("line.message", "_queue_wake"),
        ("ir.cron", "_trigger"),
        ("line.channel", "_line_complete_reply_activities"),
        ("mail.message", "_to_store"),
        ("mail.notification", "_to_store"),
    ),
    "job": (
        ("line.message", "_cron_process_queue"),
        ("line.message", "_queue_held_back"),
        ("line.message", "_send_take"),
        ("line.message", "_send_plan"),
        ("line.message", "_precheck"),
        ("line.message", "_bundle"),
        ("line.message", "_free_reply_events"),
        ("line.message", "_send_checkpoint"),
        ("line.message", "_send_bundle"),
        ("line.message", "_send"),
        ("line.message", "_on_sent"),
        ("line.message", "_queue_done"),
        ("line.message", "_notify_marks"),
        ("mail.message", "_notify_message_notification_update"),
        ("line.message", "_queue_end_run"),
        ("ir.cron", "_notify_progress"),
        ("ir.cron", "_trigger"),
        ("bus.bus", "_sendone"),
    ),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo-path", default=os.environ.get("ODOO_PATH", "~/.cache/odoo/18.0"))
    parser.add_argument("--posts", type=int, default=30, help="posts measured per kind (default 30)")
    parser.add_argument("--conversations", type=int, default=10, help="LINE conversations (default 10)")
    parser.add_argument("--profile", help="write cProfile statistics (post.prof, job.prof) to this folder")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one LINE post and of one job run")
    return parser.parse_args(argv)


def boot(args):
    odoo_path = Path(args.odoo_path).expanduser()
    sys.path.insert(0, str(odoo_path))
    import odoo
    from odoo.tools import config
    root = Path(__file__).resolve().parents[1]
    config.parse_config([
        f"--addons-path={odoo_path / 'addons'},{odoo_path / 'odoo' / 'addons'},{root}",
        "-d", args.db, f"--db-filter=^{args.db}$", "--max-cron-threads=0", "--log-level=warn"])
    odoo.service.server.load_server_wide_modules()
    return odoo, odoo.modules.registry.Registry(args.db)


class Meter:
    """Calls, SQL queries and CPU seconds of this thread per step (inclusive of the steps it calls)."""

    def __init__(self, odoo, registry, kind):
        self.odoo, self.stats, self.patched = odoo, collections.defaultdict(lambda: [0, 0, 0.0]), []
        for model, name in STEPS[kind]:
            cls = registry[model]
            original = getattr(cls, name)
            self.patched.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, self._wrap(f"{model}.{name}", original))

    def _wrap(self, step, original):
        sql_db = self.odoo.sql_db

        @functools.wraps(original)
        def counted(*args, **kwargs):
            queries, started = sql_db.sql_counter, time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                entry = self.stats[step]
                entry[0] += 1
                entry[1] += sql_db.sql_counter - queries
                entry[2] += time.thread_time() - started
        return counted

    def restore(self):
        for cls, name, original in self.patched:
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)

    def report(self, per, unit):
        print(f"    per {unit}:")
        for step, (calls, queries, seconds) in self.stats.items():
            print(f"    {step:52} calls {calls / per:5.2f}  queries {queries / per:6.2f}  "
                  f"CPU ms {seconds * 1000 / per:7.2f}")


def setup(odoo, registry, emulator, args):
    from line_emulator.client import EmulatorClient
    client = EmulatorClient(emulator.base_url)
    number, secret, provider = str(secrets.randbelow(10 ** 9) + 3 * 10 ** 9), secrets.token_hex(16), "probe-provider"
    client.create_channel(channel_id=number, channel_secret=secret, provider_id=provider, display_name="Probe OA")
    password = secrets.token_urlsafe(12)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:8069")
        admin = env.ref("base.user_admin")
        admin.password = password
        channel = env["line.channel"].create({
            "name": f"Probe OA {number}", "channel_number": number, "channel_secret": secret,
            "api_url": emulator.base_url, "data_url": emulator.base_url, "provider_name": provider,
            "responsible_user_ids": [(6, 0, admin.ids)]})
        conversations = env["discuss.channel"]
        for i in range(args.conversations):
            user_id = client.create_user(provider_id=provider, display_name=f"Probe customer {i}")["user_id"]
            emulator.state.set_friend_state(number, user_id, "friend")
            identity, _created = env["line.identity"]._get_or_create(provider, user_id)
            identity.name = f"Probe customer {i}"
            conversation = env["discuss.channel"]._line_create(channel, identity)
            channel._line_route(conversation)
            conversations |= conversation
        floors = env["discuss.channel"].create([
            {"name": f"Probe floor {i}", "channel_type": "channel", "group_public_id": False}
            for i in range(args.conversations)])
        for floor in floors:
            floor.add_members(partner_ids=admin.partner_id.ids, post_joined_message=False)
        # Only the probe's messages are queued when the job runs, and only the sending jobs are due.
        env["line.message"].search([("state", "=", "queued")]).write({"state": "failed"})
        jobs = env["line.message"]._queue_jobs()
        others = env["ir.cron"].search([("id", "not in", jobs.ids)])
        others.write({"nextcall": odoo.fields.Datetime.now() + timedelta(days=30)})
        env["ir.cron.trigger"].search([("cron_id", "in", others.ids)]).unlink()
        return number, password, conversations.ids, floors.ids


class Operator:
    def __init__(self, odoo, db, password):
        from werkzeug.test import Client
        self.client = Client(odoo.http.root, use_cookies=True)
        answer = self.call("/web/session/authenticate", {"db": db, "login": "admin", "password": password})
        if answer.get("error"):
            raise RuntimeError(answer["error"])

    def call(self, path, params):
        response = self.client.post(path, json={"jsonrpc": "2.0", "method": "call", "params": params},
                                    headers={"Host": "127.0.0.1:8069"},
                                    environ_overrides={"REMOTE_ADDR": "127.0.0.1"})
        return json.loads(response.get_data())

    def post(self, channel_id, text):
        answer = self.call("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": channel_id,
            "post_data": {"body": text, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"}})
        if answer.get("error"):
            raise RuntimeError(answer["error"])


class SqlRecorder:
    """The SQL statements run while recording (Odoo's cursors, every thread of this process)."""

    def __init__(self, odoo):
        self.cursor_class, self.statements = odoo.sql_db.Cursor, []
        self.original = self.cursor_class.execute
        recorder = self

        def execute(cursor, query, params=None, log_exceptions=True):
            code = query.code if hasattr(query, "code") else query
            recorder.statements.append(" ".join(str(code).split())[:150])
            return recorder.original(cursor, query, params, log_exceptions)

        self.cursor_class.execute = execute

    def stop(self, title):
        self.cursor_class.execute = self.original
        print(f"== SQL of {title}: {len(self.statements)} statements")
        for number, statement in enumerate(self.statements, 1):
            print(f"  {number:3} {statement}")


def measure_posts(odoo, operator, channels, count, label):
    """Queries, wall ms and CPU ms (this thread: Odoo's Python, not PostgreSQL) of each post."""
    queries, times, cpu = [], [], []
    for i in range(count):
        before, started, cpu_started = odoo.sql_db.sql_counter, time.perf_counter(), time.thread_time()
        operator.post(channels[i % len(channels)], f"{label} {i} {secrets.token_hex(3)}")
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        queries.append(odoo.sql_db.sql_counter - before)
    return queries, times, cpu


def run_job(odoo, db, emulator, number):
    """Run the sending job as a woken cron worker does, until nothing is due: queries, seconds, LINE requests."""
    from odoo.addons.base.models.ir_cron import ir_cron
    calls_before = len(emulator.state.query("calls", channel_id=number))
    before, started = odoo.sql_db.sql_counter, time.thread_time()
    for _round in range(10):
        ir_cron._process_jobs(db)
        with odoo.modules.registry.Registry(db).cursor() as cr:
            cr.execute("SELECT count(*) FROM line_message WHERE state = 'queued'")
            if not cr.fetchone()[0]:
                break
    seconds = time.thread_time() - started  # CPU of this thread: Odoo's, not the emulator's
    calls = [c for c in emulator.state.query("calls", channel_id=number)[calls_before:]
             if c.get("endpoint") in ("push", "reply")]
    return odoo.sql_db.sql_counter - before, seconds, len(calls)


def queued(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM line_message WHERE state = 'queued'")
        return cr.fetchone()[0]


def main(argv=None):
    args = parse_args(argv)
    odoo, registry = boot(args)
    from line_emulator.testing import EmulatorServer
    emulator = EmulatorServer().start()
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    try:
        number, password, conversations, floors = setup(odoo, registry, emulator, args)
        operator = Operator(odoo, args.db, password)
        # Warm caches (templates, registry, ORM) on both kinds, then send what the warm-up queued.
        measure_posts(odoo, operator, floors, 2 * len(floors), "warm")
        measure_posts(odoo, operator, conversations, 2 * len(conversations), "warm")
        run_job(odoo, args.db, emulator, number)

        print(f"== Posts through /mail/message/post (median of {args.posts} each, same user)")
        meter = Meter(odoo, registry, "post")
        floor_q, floor_t, floor_c = measure_posts(odoo, operator, floors, args.posts, "floor")
        meter.restore()
        print(f"  ordinary channel : queries {statistics.median(floor_q):5.1f}  ms {statistics.median(floor_t):6.1f}"
              f"  CPU ms {statistics.median(floor_c):6.1f}")
        meter.report(args.posts, "post")
        run_job(odoo, args.db, emulator, number)
        meter = Meter(odoo, registry, "post")
        line_q, line_t, line_c = measure_posts(odoo, operator, conversations, args.posts, "line")
        meter.restore()
        run_job(odoo, args.db, emulator, number)
        print(f"  LINE conversation: queries {statistics.median(line_q):5.1f}  ms {statistics.median(line_t):6.1f}"
              f"  CPU ms {statistics.median(line_c):6.1f}"
              f"  (+{statistics.median(line_q) - statistics.median(floor_q):.0f} queries)")
        meter.report(args.posts, "post")

        print("== The sending job (ir.cron._process_jobs, until nothing is queued)")
        for label, per_conversation in (("1 message in each conversation", 1), ("5 messages in each conversation", 5)):
            for conversation in conversations:
                for i in range(per_conversation):
                    operator.post(conversation, f"job {i} {secrets.token_hex(3)}")
            messages = queued(registry)
            meter = Meter(odoo, registry, "job")
            profiler = cProfile.Profile(time.thread_time) if profile_dir else None
            if profiler:
                profiler.enable()
            queries, seconds, requests = run_job(odoo, args.db, emulator, number)
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile_dir / f"job-{per_conversation}.prof")
            meter.restore()
            print(f"  {label}: {messages} messages in {requests} LINE requests: {queries} queries "
                  f"({queries / requests:.1f} per request, {queries / messages:.1f} per message), "
                  f"CPU {seconds * 1000:.0f} ms ({seconds * 1000 / requests:.1f} per request)")
            meter.report(requests, "LINE request")

        if args.sql:
            recorder = SqlRecorder(odoo)
            operator.post(conversations[0], "sql")
            recorder.stop("one post into a LINE conversation")
            recorder = SqlRecorder(odoo)
            operator.post(floors[0], "sql")
            recorder.stop("one post into an ordinary channel")
            recorder = SqlRecorder(odoo)
            run_job(odoo, args.db, emulator, number)
            recorder.stop("the job sending it")
            for i in range(2):
                operator.post(conversations[0], f"sql {i}")
            recorder = SqlRecorder(odoo)
            run_job(odoo, args.db, emulator, number)
            recorder.stop("the job sending two messages of a conversation")

        if profile_dir:
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            measure_posts(odoo, operator, conversations, args.posts, "profiled")
            profiler.disable()
            profiler.dump_stats(profile_dir / "post-line.prof")
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            measure_posts(odoo, operator, floors, args.posts, "profiled")
            profiler.disable()
            profiler.dump_stats(profile_dir / "post-floor.prof")
            run_job(odoo, args.db, emulator, number)
            for name in ("post-line", "post-floor", "job-1", "job-5"):
                print(f"== cProfile {name} (top 25 by cumulative time)")
                pstats.Stats(str(profile_dir / f"{name}.prof")).sort_stats("cumulative").print_stats(25)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
