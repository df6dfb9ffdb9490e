#!/usr/bin/env python3
"""The growth benchmark of line_connector: what a user waits for as one database grows.

Grows ONE database through LINE's webhook and the LINE platform emulator (never by writing
tables): at each size, the new customers follow the account and write a few texts, sent through
nginx by many concurrent senders and processed by Odoo's two cron workers; then, at that size,
measures in the same run what users wait for:

  startup_admin / startup_operator  Discuss start-up (the web client's init_messaging request) for
                                    the channel's responsible user and for an operator: time, bytes
  event_ms                          one event's processing, from a small fixed batch processed then
  conversations                     the first page of LINE Conversations (web_search_read, limit 80)
  events                            the first page of Webhook Events (web_search_read, limit 80)
  link_suggestions                  the link wizard's suggestions for a customer (its onchange)

each next to its value at the smallest size, and writes bench/results/growth-<date>.json and
bench/results/growth-latest.md (see bench/README.md, "Growth benchmark").

    ./dev bench growth [--quick] [--sizes 100,1000,10000] [options]
    PYTHONPATH=. ODOO_PATH=~/.cache/odoo/18.0 .venv/bin/python bench/growth.py --quick
"""

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.harness import ingest, load, nginx, runner
from bench.harness.line_events import WebhookSender, text_event
from bench.harness.odoo_server import ROOT, OdooServer
from bench.harness.runner import run_guarded, say
from bench.inbound import CHANNEL_ID, PROVIDER, Budget, start_emulator

PROFILES = {
    "full": {"sizes": "100,1000,10000", "texts": 1, "concurrency": 48, "batch": 40, "repeats": 5,
             "max_seconds": 3000},
    "quick": {"sizes": "50,500", "texts": 1, "concurrency": 48, "batch": 20, "repeats": 3, "max_seconds": 600},
}
PASSWORD = "bench-growth"   # the benchmark's users (admin too) log in with it
PROGRESS_EVERY = 10         # seconds between progress lines while growing
# Odoo 18's web client asks for its start-up data with these parameters (mail/static/src/core/web/
# store_service_patch.js initMessagingParams) on /mail/action (store_service.js initialize: not
# readonly); opening Discuss also asks for the sidebar's channels (channels_as_member, discuss/core/
# web/store_service_patch.js onStarted). Both in one request here; /mail/data is the same handler in
# a read-only transaction.
STARTUP_ROUTE = "/mail/action"
STARTUP_PARAMS = {"init_messaging": {}, "failures": True, "systray_get_activities": True, "channels_as_member": True}
CONVERSATION_SPEC = {name: {} for name in (
    "name", "line_channel_id", "line_friend_state", "line_last_customer_date", "line_unreplied", "line_is_linked")}
CONVERSATION_SPEC.update({name: {"fields": {"display_name": {}}} for name in (
    "line_partner_id", "line_assignee_id")})
EVENT_SPEC = {name: {} for name in ("event_date", "event_type", "message_type", "line_user_id", "attempts",
                                    "state", "error")}
EVENT_SPEC.update({name: {"fields": {"display_name": {}}} for name in ("channel_id", "conversation_id")})
WIZARD_SPEC = {"identity_id": {"fields": {"display_name": {}}}, "mode": {}, "partner_id": {"fields": {}},
               "suggested_partner_ids": {"fields": {"display_name": {}}}}
UNPIN_CRON = "ir_cron_unpin_quiet_conversations"
KEEP_OPEN = 20     # per operator: the newest unreplied customers left to answer at every size
DONE_CHUNK = 500   # conversations per "Done" call, as a select-all page of the list
METRICS = [  # (key, label, unit)
    ("startup_admin_ms", "Discuss start-up, responsible user", "ms"),
    ("startup_admin_kb", "Discuss start-up answer, responsible user", "kB"),
    ("startup_operator_ms", "Discuss start-up, operator", "ms"),
    ("startup_operator_kb", "Discuss start-up answer, operator", "kB"),
    ("event_ms", "One event's processing (fixed batch, both cron jobs)", "ms"),
    ("conversations_ms", "LINE Conversations, first page (80)", "ms"),
    ("events_ms", "Webhook Events, first page (80)", "ms"),
    ("link_suggestions_ms", "Link wizard's suggestions", "ms"),
]

SETUP_SCRIPT = """
import json
CONFIG = json.loads(%r)
env["ir.config_parameter"].set_param("web.base.url", CONFIG["base_url"])
# Time does not pass in a benchmark: a conversation the operators dealt with may leave their
# sidebars at once instead of after the default three quiet days (a setting).
env["ir.config_parameter"].set_param("line_connector.sidebar_quiet_days", "0")
admin = env.ref("base.user_admin")
admin.password = CONFIG["password"]
operator_group = env.ref("line_connector.group_line_operator")
operators = env["res.users"].create([{
    "name": "Operator " + str(i + 1), "login": "operator" + str(i + 1), "password": CONFIG["password"],
    "groups_id": [(4, env.ref("base.group_user").id), (4, operator_group.id)]} for i in range(2)])
line_channel = env["line.channel"].create({
    "name": "Growth benchmark OA", "channel_number": CONFIG["channel_id"], "channel_secret": CONFIG["secret"],
    "api_url": CONFIG["emulator_url"], "data_url": CONFIG["emulator_url"], "provider_name": CONFIG["provider"],
    "responsible_user_ids": [(6, 0, admin.ids)],
    "assign_target": "users", "assign_user_ids": [(6, 0, operators.ids)], "assign_method": "round_robin",
})
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"token": line_channel.webhook_token, "operators": operators.mapped("login")}))
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_server_options(parser, "line_connector_growth")
    nginx.add_front_option(parser)
    args = runner.parse_profiled(parser, PROFILES, argv)
    args.sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    return args


# ----------------------------------------------------------------------------------------------
# Odoo as the web client talks to it: JSON-RPC over a logged-in session
# ----------------------------------------------------------------------------------------------

class WebClient:
    """One user's logged-in session, through the front."""

    def __init__(self, base_url, db, login):
        self.base_url, self.login = base_url, login
        self.session = requests.Session()
        session, _seconds, _size = self.rpc("/web/session/authenticate",
                                            {"db": db, "login": login, "password": PASSWORD})
        self.uid = session["uid"]

    def rpc(self, path, params, timeout=120):
        """(result, seconds, answer bytes) of one JSON-RPC call."""
        started = time.perf_counter()
        response = self.session.post(self.base_url + path, json={"jsonrpc": "2.0", "method": "call",
                                                                  "params": params}, timeout=timeout)
        seconds = time.perf_counter() - started
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            raise RuntimeError(f"{path} as {self.login}: {answer['error'].get('data', {}).get('message')}")
        return answer.get("result"), seconds, len(response.content)  # Odoo leaves out a None result

    def call_kw(self, model, method, args, **kwargs):
        return self.rpc(f"/web/dataset/call_kw/{model}/{method}",
                        {"model": model, "method": method, "args": args, "kwargs": kwargs})


def timed(call, repeats):
    """The median time (ms) and the last answer's size (kB) and result of ``repeats`` calls, after one
    call not counted (the worker's caches, as for a user who has used Odoo before)."""
    call()
    times = []
    for _ in range(repeats):
        result, seconds, size = call()
        times.append(seconds * 1000)
    return round(statistics.median(times), 1), round(size / 1024, 1), result


# ----------------------------------------------------------------------------------------------
# Growing: new customers follow and write, through the webhook
# ----------------------------------------------------------------------------------------------

def create_customers(ctx, count):
    """``count`` new LINE users at the emulator (the addon fetches each one's profile from it)."""
    from line_emulator.client import EmulatorClient

    client = EmulatorClient(ctx.emulator_url)
    first = len(ctx.users)

    def create(index):
        user = client.create_user(provider_id=PROVIDER, display_name=f"Growth customer {index + 1}")
        user_id = user.get("user_id") or user.get("userId")
        # They follow the account at LINE (the webhook of it is the growth's to send): LINE then
        # gives the bot their profile and picture, which it refuses (404) to users who are not friends.
        ctx.emulator.state.set_friend_state(CHANNEL_ID, user_id, "friend")
        return user_id

    with ThreadPoolExecutor(8) as pool:
        ctx.users += list(pool.map(create, range(first, first + count)))
    return ctx.users[first:]


def newcomer(ctx, user_id):
    """A new customer's requests: they follow the account, then write ``--texts`` texts."""
    from line_emulator.webhook import follow_event, user_source

    event = follow_event(user_source(user_id), reply_token=secrets.token_hex(16))
    yield ctx.webhook.request(event)
    yield from ctx.webhook.texts(user_id, ctx.args.texts, "growth")


def sender(ctx, users):
    for user_id in users:
        yield from newcomer(ctx, user_id)


def pending(connection):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FILTER (WHERE state = 'new'), count(*) FILTER (WHERE state = 'failed'), count(*),
                   (SELECT count(*) FROM line_identity)
              FROM line_event
        """)
        return dict(zip(("new", "failed", "events", "customers"), cursor.fetchone(), strict=True))


class Progress(threading.Thread):
    """Prints every few seconds how far the growth is: customers known, events still to process."""

    def __init__(self, db, target):
        super().__init__(name="growth-progress", daemon=True)
        self.db, self.target, self.stopped = db, target, threading.Event()

    def run(self):
        connection = ingest.connect(self.db)
        try:
            while not self.stopped.wait(PROGRESS_EVERY):
                state = pending(connection)
                say(f"  growing: {state['customers']} / {self.target} customers, {state['events']} events stored, "
                    f"{state['new']} to process, {state['failed']} failed")
        finally:
            connection.close()


def grow(ctx, size):
    """Add customers until there are ``size``; wait until every event is processed."""
    args, count = ctx.args, size - len(ctx.users)
    say(f"growing to {size} customers: {count} new, each a follow and {args.texts} text(s), "
        f"{args.concurrency} senders through {ctx.front['front']}")
    started = time.time()
    users = create_customers(ctx, count)
    loops = [sender(ctx, users[start::args.concurrency]) for start in range(min(args.concurrency, len(users)))]
    progress = Progress(args.db, size)
    progress.start()
    try:
        samples, truncated = load.run_closed_loop(ctx.port, loops, ctx.budget.deadline(ctx.budget.left()))
        acked = time.time()
        deadline = ctx.budget.deadline(ctx.budget.left())
        while time.monotonic() < deadline and pending(ctx.db)["new"]:
            time.sleep(0.5)
    finally:
        progress.stopped.set()
        progress.join(5)
    state = pending(ctx.db)
    ack = load.summarize(samples)
    result = {"new_customers": count, "ack": ack, "truncated": truncated, "state": state,
              "sending_s": round(acked - started, 1), "seconds": round(time.time() - started, 1),
              "events_per_s": round(ack["ok"] / max(time.time() - started, 1e-9), 1)}
    say(f"grown to {state['customers']} customers in {result['seconds']} s ({result['events_per_s']} events/s "
        f"end to end), answers {ack['statuses']}, {state['new']} left, {state['failed']} failed")
    return result


def settle(ctx):
    """The operators' day: each marks done, from LINE Conversations, the customers assigned to them
    who are still unreplied, but for the newest ``KEEP_OPEN`` (still to answer at every size), as a
    shop's staff do; done conversations are read for who marked them (discuss_channel_member.py
    ``_line_read_done``). Through Odoo's RPC as the web client, never by writing tables."""
    done = 0
    started = time.perf_counter()
    for client in ctx.operators:
        result, _seconds, _size = client.call_kw(
            "discuss.channel", "search", [[("channel_type", "=", "line"), ("line_unreplied", "=", True),
                                          ("line_assignee_id", "=", client.uid)]],
            order="line_last_customer_date desc", offset=KEEP_OPEN)
        for start in range(0, len(result), DONE_CHUNK):
            client.call_kw("discuss.channel", "action_line_done", [result[start:start + DONE_CHUNK]])
        done += len(result)
    seconds = round(time.perf_counter() - started, 1)
    say(f"  operators marked {done} conversations done in {seconds} s, {KEEP_OPEN} each still to answer")
    return {"done": done, "seconds": seconds, "keep_open": KEEP_OPEN}


# ----------------------------------------------------------------------------------------------
# Measuring at one size
# ----------------------------------------------------------------------------------------------

def run_unpin(ctx):
    """The sidebar rule's hourly cron, run now (as admin, as its 'Run Manually' button) if this
    branch has it; the LINE members pinned, and the staff's memberships, before and after."""
    with ctx.db.cursor() as cursor:
        cursor.execute("SELECT res_id FROM ir_model_data WHERE module = 'line_connector' AND name = %s",
                       [UNPIN_CRON])
        row = cursor.fetchone()
    if not row:
        return {"exists": False, "ran": False}
    before, staff_before = pinned_members(ctx.db), staff_members(ctx.db)
    for attempt in range(30):
        try:
            _result, seconds, _size = ctx.admin.call_kw("ir.cron", "method_direct_trigger", [[row[0]]])
            break
        except RuntimeError as error:  # a cron worker runs it right now (it is due at creation): wait
            if "currently being executed" not in str(error) or attempt == 29:
                raise
            time.sleep(1)
    return {"exists": True, "ran": True, "seconds": round(seconds, 2), "pinned_before": before,
            "pinned_after": pinned_members(ctx.db), "staff_before": staff_before,
            "staff_after": staff_members(ctx.db)}


def pinned_members(connection):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM discuss_channel_member m JOIN discuss_channel c ON c.id = m.channel_id
             WHERE c.channel_type = 'line' AND m.partner_id IS NOT NULL
               AND (m.unpin_dt IS NULL OR m.unpin_dt < c.last_interest_dt)
        """)
        return cursor.fetchone()[0]


def staff_members(connection):
    """Memberships of employees in LINE conversations: what Discuss's ``is_member`` search and
    member rule list on every page load (the customers' own memberships are theirs)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM discuss_channel_member m JOIN discuss_channel c ON c.id = m.channel_id
             WHERE c.channel_type = 'line'
               AND EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = m.partner_id AND NOT u.share)
        """)
        return cursor.fetchone()[0]


def event_batch(ctx):
    """One webhook carrying ``--batch`` texts of as many existing customers, processed by both cron
    jobs: with every job busy, one event costs ``jobs`` x the mean gap between their messages."""
    users = ctx.users[:ctx.args.batch]
    events = [text_event(user_id, f"batch at {len(ctx.users)} from {user_id[-6:]}") for user_id in users]
    request = ctx.webhook.request(events[0])
    body = json.dumps({"destination": ctx.webhook.destination, "events": events}, ensure_ascii=False).encode()
    request.body = body
    request.headers = dict(request.headers, **{"X-Line-Signature": ctx.webhook.sign(ctx.webhook.secret, body)})
    sample = load.send(ctx.port, request)
    ids = [event["webhookEventId"] for event in events]
    states, done_at = ingest.wait_processed(ctx.db, ids, ctx.budget.deadline(120))
    stored = sorted(row["stored_at"] for row in ingest.event_rows(ctx.db, ids).values() if row["stored_at"])
    per_event = ctx.args.cron_threads * (stored[-1] - stored[0]) / (len(stored) - 1) * 1000 if len(stored) > 1 \
        else None
    return {"status": sample.status, "ack_ms": round(sample.latency * 1000, 1), "states": states,
            "event_ms": per_event and round(per_event, 1),
            "wall_per_event_ms": done_at and round((done_at - sample.sent_at) / len(ids) * 1000, 1)}


def measure(ctx, size):
    repeats = ctx.args.repeats
    figures = {"unpin": run_unpin(ctx), "pinned_members": pinned_members(ctx.db)}
    for label, client in (("admin", ctx.admin), ("operator", ctx.operator)):
        ms, kb, _result = timed(lambda client=client: client.rpc(STARTUP_ROUTE, STARTUP_PARAMS), repeats)
        figures.update({f"startup_{label}_ms": ms, f"startup_{label}_kb": kb})
    batch = event_batch(ctx)
    figures.update(event_ms=batch["event_ms"], event_batch=batch)
    # LINE Conversations as an operator opens it (record rules apply), newest first as the list
    # orders it, with no filter: every conversation the operator may see (the worst case); the
    # list counts to 1,000 (its count_limit, sent + 1 as the web client does).
    figures["conversations_ms"], _kb, page = timed(lambda: ctx.operator.call_kw(
        "discuss.channel", "web_search_read", [], domain=[("channel_type", "=", "line")],
        specification=CONVERSATION_SPEC, offset=0, limit=80, order="line_last_customer_date desc",
        count_limit=1001), repeats)
    figures["conversations_count"] = page["length"]
    # Webhook Events as a LINE manager opens it; its list counts up to 1,000 (count_limit).
    figures["events_ms"], _kb, page = timed(lambda: ctx.admin.call_kw(
        "line.event", "web_search_read", [], domain=[], specification=EVENT_SPEC, offset=0, limit=80, order="",
        count_limit=1001), repeats)
    figures["events_count"] = page["length"]
    identity = _first_identity(ctx.db)
    figures["link_suggestions_ms"], _kb, wizard = timed(lambda: ctx.admin.call_kw(
        "line.link.wizard", "onchange", [[], {}, [], WIZARD_SPEC], context={"default_identity_id": identity}),
        repeats)
    figures["link_suggestions"] = len(wizard["value"].get("suggested_partner_ids") or [])
    figures["partners"] = _partners(ctx.db)
    say(f"at {size}: " + ", ".join(f"{key} {figures[key]}" for key, _label, _unit in METRICS)
        + f"; unpin cron {'ran' if figures['unpin']['ran'] else 'absent'}")
    return figures


def _first_identity(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM line_identity ORDER BY id LIMIT 1")
        return cursor.fetchone()[0]


def _partners(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM res_partner")
        return cursor.fetchone()[0]


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------

class Context:
    def __init__(self, args, budget):
        self.args, self.budget = args, budget
        self.odoo = self.db = self.webhook = self.port = self.front = None
        self.admin = self.operator = self.emulator_url = self.emulator = None
        self.operators = []
        self.users = []


def run(ctx, stack, results):
    args = ctx.args
    secret = secrets.token_hex(16)
    log_dir = Path(tempfile.mkdtemp(prefix="line_growth_"))  # kept: Odoo's and nginx's logs
    results["log_dir"] = str(log_dir)
    ctx.emulator, destination, _users, sign = start_emulator(stack, secret, 0, with_server=True)
    ctx.emulator_url = ctx.emulator.base_url
    ctx.odoo = OdooServer(args.odoo_path, args.db, log_dir, sys.executable)
    say(f"creating database {args.db} (line_connector)")
    ctx.odoo.create_database(["line_connector"], timeout=max(ctx.budget.left() - 60, 30))
    config = {"base_url": ctx.odoo.base_url, "channel_id": CHANNEL_ID, "secret": secret,
              "emulator_url": ctx.emulator_url, "provider": PROVIDER, "password": PASSWORD}
    output = ctx.odoo.shell(SETUP_SCRIPT % json.dumps(config), timeout=max(ctx.budget.left() - 60, 20))
    setup = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_SETUP "))[12:])
    ctx.webhook = WebhookSender(f"/line/webhook/{setup['token']}", secret, destination, sign)
    say(f"starting Odoo on {ctx.odoo.base_url}: {args.workers} workers, {args.cron_threads} cron workers")
    ctx.odoo.start(args.workers, args.cron_threads, proxy_mode=not args.direct)
    stack.callback(ctx.odoo.stop)
    ctx.odoo.wait_ready(timeout=min(90, ctx.budget.left()))
    ctx.port, ctx.front = nginx.front_for(stack, ctx.odoo, args, log_dir / "nginx")
    results["front"] = ctx.front
    base_url = f"http://127.0.0.1:{ctx.port}"
    ctx.db = ingest.connect(args.db)
    stack.callback(ctx.db.close)
    ctx.admin = WebClient(base_url, args.db, "admin")
    ctx.operators = [WebClient(base_url, args.db, login) for login in setup["operators"]]
    ctx.operator = ctx.operators[0]
    per_customer = None
    for size in args.sizes:
        if per_customer and not fits(ctx, per_customer, size):
            results["skipped"] = [s for s in args.sizes if s >= size]
            say(f"not growing to {size}: at the rate so far it would not fit in the time left")
            break
        phase = {"growth": grow(ctx, size)}
        phase["settled"] = settle(ctx)
        phase.update(measure(ctx, size))
        results["phases"][str(size)] = phase
        per_customer = phase["growth"]["seconds"] / max(phase["growth"]["new_customers"], 1)


def fits(ctx, per_customer, size):
    """Whether growing to ``size`` at the last step's pace (seconds per customer) leaves time to measure."""
    return per_customer * (size - len(ctx.users)) + 120 < ctx.budget.left()


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------

def ratios(results):
    """Per metric: (label, unit, [(size, value, ratio to the smallest size)])."""
    phases = results["phases"]
    sizes = list(phases)
    table = []
    for key, label, unit in METRICS:
        base = phases[sizes[0]].get(key) if sizes else None
        values = []
        for size in sizes:
            value = phases[size].get(key)
            values.append((size, value, round(value / base, 2) if value and base else None))
        table.append((label, unit, values))
    return table


def markdown(results):
    phases = results["phases"]
    sizes = list(phases)
    version, config = results["addon_version"], results["config"]
    front = results.get("front") or {}
    lines = [
        f"# Growth benchmark, {results['started']}", "",
        f"`{results['command']}` on {results['machine']}; Odoo {config['workers']} HTTP workers, "
        f"{config['cron_threads']} cron workers, behind {front.get('front')} {front.get('version') or ''}; "
        f"line_connector at {version['commit']}{' (modified)' if version['modified'] else ''}; load average before "
        f"{results['load_average_before'][0]:.2f}. One database grown through the webhook; each new customer "
        f"follows and writes {config['texts']} text(s). Median of {config['repeats']} calls; "
        "(x) = ratio to the smallest size.", "",
        "| Metric | " + " | ".join(f"{size} customers" for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for label, unit, values in ratios(results):
        cells = [f"{value:g} {unit} ({ratio:g}x)" if value is not None and ratio is not None
                 else ("-" if value is None else f"{value:g} {unit}") for _size, value, ratio in values]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", *details(results)]
    return "\n".join(lines) + "\n"


def details(results):
    out = []
    for size, phase in results["phases"].items():
        growth, unpin = phase["growth"], phase["unpin"]
        out.append(
            f"- {size}: grown by {growth['new_customers']} customers in {growth['seconds']} s "
            f"({growth['events_per_s']} events/s end to end; answers {growth['ack']['statuses']}; "
            f"{growth['state']['new']} left, {growth['state']['failed']} failed); {phase['conversations_count']} "
            f"conversations, {phase['events_count']} events, {phase['partners']} contacts, "
            f"{phase['link_suggestions']} suggestions; the operators marked {phase['settled']['done']} done "
            f"in {phase['settled']['seconds']} s ({phase['settled']['keep_open']} each left to answer); unpin cron "
            + (f"ran in {unpin['seconds']} s ({unpin['pinned_before']} -> {unpin['pinned_after']} pinned LINE "
               f"members, staff memberships {unpin.get('staff_before')} -> {unpin.get('staff_after')})"
               if unpin["ran"]
               else "absent on this branch"))
    if results.get("skipped"):
        out.append(f"- Not grown to {results['skipped']}: it would not have fitted in `--max-seconds`.")
    if results.get("error"):
        out.append(f"- The run stopped early: {results['error']}")
    return out


def main(argv=None):
    args = parse_args(argv)
    results = runner.new_results("growth.py", args, sys.argv[1:] if argv is None else argv)
    run_guarded(run, Context(args, Budget(args.max_seconds)), results)
    if results["phases"]:
        text = markdown(results)
        path = runner.write_results(results, "growth", text, "growth-latest.md")
        print("\n" + text)
        say(f"results: {path.relative_to(ROOT)} and bench/results/growth-latest.md")
    return 1 if results.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
