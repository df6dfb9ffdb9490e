#!/usr/bin/env python3
"""The fault benchmark of line_connector: nothing lost, doubled or reordered when production goes wrong.

Runs, in one fresh database, against the LINE platform emulator started in this process, each
phase a burst of signed webhooks (each customer sends numbered texts: "c07 #12") bounded in count
and time, LINE's redeliveries among them:

  kill          one Odoo (workers, cron workers); one cron worker SIGKILLed while it processes
                the backlog; Odoo's prefork server starts another
  two_servers   a second Odoo on the same database; the webhooks alternate between the two
  newcomers     N new customers write once each, assigned round robin to a few users

then, per phase, reads the database: events lost, duplicated, out of order, parked (all must be 0),
the round robin's spread (at most 1), and writes bench/results/faults-<date>.json and
bench/results/faults-latest.md (see bench/README.md, "Fault benchmark").

    ./dev bench faults [--quick] [options]
    PYTHONPATH=. ODOO_PATH=~/.cache/odoo/18.0 .venv/bin/python bench/faults.py --quick
"""

import argparse
import itertools
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import ingest, integrity, load, nginx, odoo_log, pg_log, runner
from bench.harness.line_events import WebhookSender, text_event
from bench.harness.odoo_server import ROOT, OdooServer
from bench.harness.runner import run_guarded, say
from bench.inbound import CHANNEL_ID, PROVIDER, Budget, start_emulator

PROFILES = {
    "full": {"customers": 20, "messages": 25, "newcomers": 500, "assignees": 4, "concurrency": 16,
             "redeliver_every": 5, "send_seconds": 120, "drain_seconds": 150, "max_seconds": 600},
    "quick": {"customers": 6, "messages": 8, "newcomers": 60, "assignees": 4, "concurrency": 8,
              "redeliver_every": 3, "send_seconds": 60, "drain_seconds": 90, "max_seconds": 300},
}
REDELIVERY_LAG = 3          # a redelivered body is that of the sender's event 3 places back
NO_ACK_RETRIES = 3          # an event not acknowledged is sent again (as LINE redelivers) this often
KILL_AFTER_SHARE = 0.2      # the cron worker is killed once this share of the phase's events is done
RESPAWN_SECONDS = 30        # how long Odoo may take to start a new cron worker
EVENT_JOBS = ("LINE: process webhook events", "LINE: process webhook events (2)")  # const.QUEUE_JOBS of them

SETUP_SCRIPT = """
import json
CONFIG = json.loads(%r)
env["ir.config_parameter"].set_param("web.base.url", CONFIG["base_url"])
admin = env.ref("base.user_admin")
assignees = env["res.users"].create([{"name": "Assignee " + str(i + 1), "login": "assignee" + str(i + 1)}
                                     for i in range(CONFIG["assignees"])])
line_channel = env["line.channel"].create({
    "name": "Fault benchmark OA", "channel_number": CONFIG["channel_id"], "channel_secret": CONFIG["secret"],
    "api_url": CONFIG["emulator_url"], "data_url": CONFIG["emulator_url"], "provider_name": CONFIG["provider"],
    "responsible_user_ids": [(6, 0, admin.ids)],
    "assign_target": "users", "assign_user_ids": [(6, 0, assignees.ids)], "assign_method": "round_robin",
})
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"token": line_channel.webhook_token, "assignees": assignees.ids}))
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_server_options(parser, "line_connector_faults")
    nginx.add_front_option(parser)
    return runner.parse_profiled(parser, PROFILES, argv)


# ----------------------------------------------------------------------------------------------
# Senders: numbered texts, LINE's redeliveries among them
# ----------------------------------------------------------------------------------------------

def redelivery(event):
    """The same event as LINE sends it again: same webhookEventId, timestamp and message."""
    return dict(event, deliveryContext={"isRedelivery": True})


def sender(ctx, plan, customers, ports, first):
    """One closed-loop sender: each customer's numbered texts in turn (``customers``: (label, LINE user,
    count)), each sent again until acknowledged, and every n-th acknowledged body sent again later.
    Its requests go to ``ports`` in turn, starting with ``ports[first % len(ports)]``."""
    turn, history = itertools.count(first), []

    def to_server(event):
        request = ctx.webhook.request(event)
        request.port = ports[next(turn) % len(ports)]
        return request

    for label, user_id, count in customers:
        for number in range(1, count + 1):
            event = text_event(user_id, f"{label} #{number:02d}")
            planned = plan.add(event, label, number)
            yield to_server(event)
            for attempt in range(NO_ACK_RETRIES):
                if plan.is_acked(planned.event_id):
                    break
                plan.retried.add(planned.event_id)
                time.sleep(0.5 * (attempt + 1))  # LINE waits before a redelivery; the listen queue drains
                yield to_server(redelivery(event))
            history.append(event)
            earlier = history[-1 - REDELIVERY_LAG] if len(history) > REDELIVERY_LAG else None
            if earlier and len(history) % ctx.args.redeliver_every == 0 and plan.is_acked(earlier["webhookEventId"]):
                plan.resent.add(earlier["webhookEventId"])
                yield to_server(redelivery(earlier))


# ----------------------------------------------------------------------------------------------
# The fault: a cron worker killed mid-batch
# ----------------------------------------------------------------------------------------------

class CronKiller(threading.Thread):
    """SIGKILLs one cron worker of ``odoo`` while it runs a job that processes LINE events, once
    ``after_done`` of the phase's events are done and others still wait; then waits until Odoo has
    started another cron worker."""

    def __init__(self, odoo, db, user_ids, after_done, deadline):
        super().__init__(name="cron-killer", daemon=True)
        self.odoo, self.db, self.user_ids = odoo, db, list(user_ids)
        self.after_done, self.deadline = after_done, deadline
        self.started_at = time.time()
        self.record = {"killed": False}
        self.jobs = set()
        self._finished = threading.Event()

    def finish(self):
        self._finished.set()
        self.join(RESPAWN_SECONDS + 5)
        return self.record

    def run(self):
        connection = ingest.connect(self.db)
        try:
            self.jobs = self._event_jobs(connection)
            self._kill_one(connection)
            if self.record["killed"]:
                self._wait_respawn()
        except Exception as error:  # the phase reports it; the run goes on
            self.record["error"] = f"{error.__class__.__name__}: {error}"
        finally:
            connection.close()

    def _kill_one(self, connection):
        while not self._finished.wait(0.05) and time.monotonic() < self.deadline:
            states = self._states(connection)
            if states.get("done", 0) < self.after_done or not states.get("new"):
                continue
            pids = self.odoo.cron_worker_pids()
            busy = self._busy(connection, pids)
            if busy:
                pid, job, query = busy[0]
                os.kill(pid, signal.SIGKILL)
                self.record.update(killed=True, pid=pid, job_id=job, workers_before=pids,
                                   at_s=round(time.time() - self.started_at, 2), job_query=query,
                                   events_new=states.get("new", 0), events_done=states.get("done", 0))
                say(f"kill: SIGKILL cron worker {pid} while it ran job {job}; "
                    f"{states.get('new', 0)} events still new, {states.get('done', 0)} done")
                return

    def _wait_respawn(self):
        killed_at, before = time.monotonic(), set(self.record["workers_before"])
        while time.monotonic() - killed_at < RESPAWN_SECONDS:
            new = [pid for pid in self.odoo.cron_worker_pids() if pid not in before]
            if new:
                self.record.update(respawned_pid=new[0], respawn_s=round(time.monotonic() - killed_at, 2))
                say(f"kill: Odoo started cron worker {new[0]} after {self.record['respawn_s']} s")
                return
            time.sleep(0.1)

    def _states(self, connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT state, count(*) FROM line_event WHERE line_user_id = ANY(%s) GROUP BY state",
                           [self.user_ids])
            return dict(cursor.fetchall())

    def _busy(self, connection, pids):
        """(pid, job, query) of the cron workers running one of the jobs that process LINE events.

        Odoo 18 names its connections ``odoo-<pid>``, but a worker's job runs on a cursor of the
        registry the master preloaded, named after the master; the worker's own connection is the
        one that holds the job (``ir_cron._acquire_one_job``: its query names the job's ID), in a
        transaction for as long as the job runs.
        """
        if not pids:
            return []
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT application_name, query FROM pg_stat_activity
                 WHERE datname = %s AND application_name = ANY(%s) AND xact_start IS NOT NULL
              ORDER BY xact_start
            """, [self.db, [f"odoo-{pid}" for pid in pids]])
            rows = cursor.fetchall()
        busy = []
        for name, query in rows:
            job = re.search(r"AND id = (\d+)", query or "")
            if job and int(job[1]) in self.jobs:
                busy.append((int(name.removeprefix("odoo-")), int(job[1]), " ".join(query.split())[:300]))
        return busy

    def _event_jobs(self, connection):
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT res_id FROM ir_model_data
                 WHERE module = 'line_connector' AND model = 'ir.cron' AND name LIKE 'ir\\_cron\\_process\\_events%'
            """)
            return {job_id for (job_id,) in cursor.fetchall()}


# ----------------------------------------------------------------------------------------------
# Phases
# ----------------------------------------------------------------------------------------------

class Context:
    """What the phases share: options, budget, Odoo servers, database connection, LINE users."""

    def __init__(self, args, budget):
        self.args, self.budget = args, budget
        self.servers, self.db, self.setup, self.webhook = [], None, None, None
        self.log_dir = self.pg_log = None
        self.ports, self.fronts = {}, {}  # per server's label: where its webhooks go, and the record of it

    def new_server(self, label):
        """An Odoo server on the benchmark's database, its log in a folder of its own."""
        server = OdooServer(self.args.odoo_path, self.args.db, self.log_dir / label, sys.executable)
        server.log_dir.mkdir(parents=True, exist_ok=True)
        return server

    def run_server(self, stack, server, label):
        say(f"starting Odoo {label} on {server.base_url}: {self.args.workers} workers, "
            f"{self.args.cron_threads} cron workers")
        server.start(self.args.workers, self.args.cron_threads, proxy_mode=not self.args.direct)
        stack.callback(server.stop)
        server.wait_ready(timeout=min(90, self.budget.left()))
        self.ports[label], self.fronts[label] = nginx.front_for(stack, server, self.args, server.log_dir / "nginx")
        self.servers.append((label, server))
        return server

    def log_marks(self):
        marks = {label: _size(server.log_path) for label, server in self.servers}
        return dict(marks, postgres=_size(self.pg_log))

    def log_evidence(self, marks):
        """What the logs say since ``marks``: per Odoo server its warnings and errors, its cron runs,
        the requests it retried, the cron workers it started; PostgreSQL's errors with their statements."""
        evidence = {}
        for label, server in self.servers:
            with open(server.log_path, errors="replace") as log:
                log.seek(marks.get(label, 0))
                text = log.read()
            evidence[label] = {"problems": odoo_log.problems(text), "request_retries": odoo_log.request_retries(text),
                               "cron": {name: odoo_log.cron_runs(text, name) for name in EVENT_JOBS},
                               "cron_workers_started": odoo_log.workers_started(text)}
        return {"odoo": evidence, "postgres": pg_log.errors(self.pg_log, self.args.db, marks["postgres"])}


def _size(path):
    return path.stat().st_size if path and path.exists() else 0


def burst(ctx, name, loops, kill=False):
    """Send the loops' texts (each loop a closed-loop sender), to every server in turn; wait until every
    stored event is done or parked; then check what became of each."""
    args, plan = ctx.args, integrity.Plan()
    ports = [ctx.ports[label] for label, _server in ctx.servers]
    marks = ctx.log_marks()
    total = sum(count for customers in loops for _label, _user, count in customers)
    say(f"{name}: {total} texts from {sum(map(len, loops))} customers in {len(loops)} senders, "
        f"to {len(ports)} server(s)")
    killer = None
    if kill:
        users = [user for customers in loops for _label, user, _count in customers]
        killer = CronKiller(ctx.servers[0][1], args.db, users, max(int(total * KILL_AFTER_SHARE), 1),
                            ctx.budget.deadline(args.send_seconds + args.drain_seconds))
        killer.start()
    try:
        started = time.time()
        senders = [sender(ctx, plan, customers, ports, first=i) for i, customers in enumerate(loops)]
        samples, truncated = load.run_closed_loop(ports[0], senders, ctx.budget.deadline(args.send_seconds),
                                                  on_answer=plan.answered)
        sent = time.time()
        settled = integrity.wait_settled(ctx.db, list(plan.events), ctx.budget.deadline(args.drain_seconds))
    finally:
        kill_record = killer.finish() if killer else None
    result = integrity.check(ctx.db, plan, PROVIDER)
    result.update(ack=load.summarize(samples), truncated=truncated, sending_s=round(sent - started, 1),
                  settled=settled is not None, seconds=round((settled or time.time()) - started, 1),
                  servers=len(ports))
    if kill_record:
        result["kill"] = kill_record
    result["logs"] = ctx.log_evidence(marks)
    say(f"{name}: {result['events']} events, {result['acked']} acknowledged, lost {result['lost']}, duplicated "
        f"{result['duplicated']}, out of order {result['out_of_order']}, parked {result['parked']}, "
        f"redelivered {result['redelivered']} (stored once {result['redelivered_stored_once']}), "
        f"{result['seconds']} s{'' if result['settled'] else ' (NOT settled)'}")
    return result


def customers_of(users, prefix, count):
    """One closed-loop sender per customer: (label, LINE user, number of texts)."""
    return [[(f"{prefix}{index + 1:02d}", user, count)] for index, user in enumerate(users)]


def newcomer_loops(users, concurrency):
    """The newcomers, each writing once, shared out over ``concurrency`` senders."""
    return [[(f"n{index + 1:03d}", users[index], 1) for index in range(start, len(users), concurrency)]
            for start in range(min(concurrency, len(users)))]


def run(ctx, stack, results):
    args = ctx.args
    secret = secrets.token_hex(16)
    ctx.log_dir = Path(tempfile.mkdtemp(prefix="line_faults_"))  # kept: Odoo's logs, for a closer look
    results["log_dir"] = str(ctx.log_dir)
    emulator_url, destination, users, sign = start_emulator(stack, secret, 2 * args.customers + args.newcomers - 1)
    first, second, newcomers = (users[:args.customers], users[args.customers:2 * args.customers],
                                users[2 * args.customers:])
    odoo = ctx.new_server("a")
    say(f"creating database {args.db} (line_connector)")
    odoo.create_database(["line_connector"], timeout=max(ctx.budget.left() - 60, 30))
    config = {"base_url": odoo.base_url, "channel_id": CHANNEL_ID, "secret": secret, "emulator_url": emulator_url,
              "provider": PROVIDER, "assignees": args.assignees}
    output = odoo.shell(SETUP_SCRIPT % json.dumps(config), timeout=max(ctx.budget.left() - 60, 20))
    ctx.setup = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_SETUP "))[12:])
    ctx.webhook = WebhookSender(f"/line/webhook/{ctx.setup['token']}", secret, destination, sign)
    ctx.run_server(stack, odoo, "a")
    results["front"] = ctx.fronts  # the same dict: server b's front joins it
    ctx.db = ingest.connect(args.db)
    stack.callback(ctx.db.close)
    ctx.pg_log = pg_log.log_path(ctx.db)
    phases = results["phases"]
    phases["kill"] = burst(ctx, "kill", customers_of(first, "c", args.messages), kill=True)
    ctx.run_server(stack, ctx.new_server("b"), "b")
    phases["two_servers"] = burst(ctx, "two_servers", customers_of(second, "d", args.messages))
    phases["newcomers"] = burst(ctx, "newcomers", newcomer_loops(newcomers, args.concurrency))
    phases["newcomers"]["round_robin"] = integrity.spread(phases["newcomers"]["assignees"], ctx.setup["assignees"])


# ----------------------------------------------------------------------------------------------
# Checks and report
# ----------------------------------------------------------------------------------------------

TITLES = {
    "kill": "one Odoo, a cron worker SIGKILLed mid-batch",
    "two_servers": "two Odoo servers on one database, webhooks alternating",
    "newcomers": "new customers writing once, assigned round robin",
}


def checks(results):
    """(check, passed, detail) for every figure that must hold."""
    out = []
    for name, phase in results["phases"].items():
        for key in ("lost", "duplicated", "out_of_order", "parked", "conversations_doubled"):
            out.append((f"{name}: {key.replace('_', ' ')} = 0", phase[key] == 0, phase[key]))
        out.append((f"{name}: every redelivery stored once", phase["redelivered_stored_once"] == phase["redelivered"],
                    f"{phase['redelivered_stored_once']} of {phase['redelivered']}"))
        out.append((f"{name}: every stored event done or parked within the drain", phase["settled"],
                    f"{phase['seconds']} s"))
        if "kill" in phase:
            kill = phase["kill"]
            out.append((f"{name}: a cron worker was killed mid-batch and Odoo started another",
                        bool(kill.get("killed") and kill.get("respawned_pid")),
                        f"pid {kill.get('pid')} -> {kill.get('respawned_pid')}" if kill.get("killed")
                        else kill.get("error", "no cron worker seen busy")))
        if "round_robin" in phase:
            spread = phase["round_robin"]
            out.append((f"{name}: round robin max - min <= 1", (spread["max_minus_min"] or 0) <= 1
                        and not spread["unassigned"], f"{spread['per_assignee']}, unassigned {spread['unassigned']}"))
    if results.get("error"):
        out.append(("the run completed", False, results["error"]))
    return out


def markdown(results):
    version = results["addon_version"]
    config = results["config"]
    lines = [
        f"# Fault benchmark, {results['started']}", "",
        f"`{results['command']}` on {results['machine']}; each Odoo {config['workers']} HTTP workers, "
        f"{config['cron_threads']} cron workers; line_connector at {version['commit']}"
        f"{' (modified)' if version['modified'] else ''}; load average before "
        f"{results['load_average_before'][0]:.2f}. Lost: acknowledged but not stored, or stored but neither "
        "made a Discuss message nor parked. Duplicated: extra Discuss messages with the same LINE message ID. "
        "Out of order: a customer's message posted after one with a higher number. Webhooks sent "
        f"{_front_label(results)}.", "",
        "| Phase | Events (acknowledged) | Lost | Duplicated | Out of order | Parked | Redelivered (stored once) "
        "| Time | Result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    results_checks = checks(results)
    for name, phase in results["phases"].items():
        passed = all(ok for check, ok, _detail in results_checks if check.startswith(name + ":"))
        lines.append(
            f"| `{name}`: {TITLES[name]} | {phase['events']} ({phase['acked']}) | {phase['lost']} | "
            f"{phase['duplicated']} | {phase['out_of_order']} | {phase['parked']} | {phase['redelivered']} "
            f"({phase['redelivered_stored_once']}) | {phase['seconds']} s{'' if phase['settled'] else ' (not settled)'}"
            f" | {'PASS' if passed else 'FAIL'} |")
    lines += ["", *details(results), "", "Checks:", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'} {check} ({detail})" for check, ok, detail in results_checks]
    return "\n".join(lines) + "\n"


def _front_label(results):
    fronts = results.get("front") or {}
    if fronts and all(front["front"] == "nginx" for front in fronts.values()):
        return f"through nginx {next(iter(fronts.values())).get('version')} in front of each Odoo"
    return "to each Odoo's HTTP port directly (`--direct`)" if fronts else "(front not recorded)"


def details(results):
    """What explains the table: the kill, the round robin, parked events' errors, Odoo's log."""
    out = []
    for name, phase in results["phases"].items():
        if kill := phase.get("kill"):
            out.append(f"- `{name}`: " + (
                f"cron worker {kill['pid']} SIGKILLed {kill['at_s']} s into the phase while it ran job "
                f"{kill['job_id']} (LINE: process webhook events), {kill['events_done']} of the phase's events done "
                f"and {kill['events_new']} still new; Odoo started cron worker "
                f"{kill.get('respawned_pid')} {kill.get('respawn_s')} s later." if kill.get("killed")
                else f"no cron worker killed ({kill.get('error', 'none seen busy')})."))
        if spread := phase.get("round_robin"):
            out.append(f"- `{name}`: conversations per assignee {spread['per_assignee']}, unassigned "
                       f"{spread['unassigned']}, max - min {spread['max_minus_min']}.")
        if phase["not_acked"] or phase["retried_after_no_ack"]:
            out.append(f"- `{name}`: {phase['retried_after_no_ack']} events sent again after no acknowledgement, "
                       f"{phase['not_acked']} never acknowledged; answers {phase['ack']['statuses']}.")
        for error in phase["errors"]:
            out.append(f"- `{name}`: {error['events']} event(s) parked or unfinished: `{error['error'][:200]}`")
        for label, evidence in phase["logs"]["odoo"].items():
            for problem in evidence["problems"][:4]:
                out.append(f"- `{name}`, Odoo {label}'s log: {problem['count']} x `{problem['kind'][:200]}`")
            for failure, count in evidence["request_retries"].items():
                out.append(f"- `{name}`, Odoo {label}: {count} request(s) run again after a {failure}")
        for error in phase["logs"]["postgres"] or []:
            out.append(f"- `{name}`, PostgreSQL's log: {error['count']} x `{error['error']}` at "
                       f"`{error['statement'] or '?'}`")
    return out


def main(argv=None):
    args = parse_args(argv)
    results = runner.new_results("faults.py", args, sys.argv[1:] if argv is None else argv)
    run_guarded(run, Context(args, Budget(args.max_seconds)), results)
    results["checks"] = [{"check": check, "passed": ok, "detail": str(detail)} for check, ok, detail in checks(results)]
    print()
    for check in results["checks"]:
        print(f"{'PASS' if check['passed'] else 'FAIL'} {check['check']} ({check['detail']})")
    if results["phases"]:  # a run stopped before its first phase keeps the latest results as they are
        path = runner.write_results(results, "faults", markdown(results), "faults-latest.md")
        say(f"results: {path.relative_to(ROOT)} and bench/results/faults-latest.md")
    return 0 if all(check["passed"] for check in results["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
