#!/usr/bin/env python3
"""The outbound benchmark of line_connector: operators' Discuss posts to LINE, next to Odoo's own floor.

Runs, in one fresh database and one Odoo (2 HTTP workers, 2 cron workers), against the LINE
platform emulator started in this process:

  floor_post    operators post into K ordinary Discuss channels through Discuss's own route
                (``/mail/message/post``): what any Discuss message costs, with no LINE code
  clean         the same posts into K LINE conversations; each is queued and pushed to LINE by
                the send cron: posts/s, then messages/s until the emulator acknowledged them all
  faults        the same again with 10 % of LINE's push answers failing (500, 429, and the
                connection dropped *after* LINE accepted the message); retried with the same
                retry key, every message must arrive exactly once: duplicates and losses counted

then writes bench/results/outbound-<date>.json and bench/results/outbound-latest.md.

    ./dev bench outbound [--quick] [options]
    PYTHONPATH=. ODOO_PATH=~/.cache/odoo/18.0 .venv/bin/python bench/outbound.py --quick
"""

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from bench.harness import ingest, load, nginx, runner
from bench.harness.odoo_server import ROOT, OdooServer
from bench.harness.runner import run_guarded, say

RESULTS = ROOT / "bench" / "results"
PROVIDER = "bench-provider"
CHANNEL_ID = "2000009902"
# The fault mix of the "faults" phase: shares of push calls (10 % in all).
FAULTS = [("500", 0.04, False), ("429", 0.03, False), ("drop", 0.03, True)]

PROFILES = {
    # The drain outlasts Odoo's cron poll (60-69 s): a retry due in 2 s runs when a cron worker next
    # looks for due triggers, which a NOTIFY only hastens for triggers due at once.
    "full": {"conversations": 16, "messages": 600, "clients": 8, "drain_seconds": 150, "max_seconds": 420},
    "quick": {"conversations": 8, "messages": 120, "clients": 4, "drain_seconds": 90, "max_seconds": 240},
}

SETUP_SCRIPT = """
import json
CONFIG = json.loads(%r)
env["ir.config_parameter"].set_param("web.base.url", CONFIG["base_url"])
admin = env.ref("base.user_admin")
admin.password = CONFIG["password"]
line_channel = env["line.channel"].create({
    "name": "Benchmark OA", "channel_number": CONFIG["channel_id"], "channel_secret": CONFIG["secret"],
    "api_url": CONFIG["emulator_url"], "data_url": CONFIG["emulator_url"], "provider_name": CONFIG["provider"],
    "responsible_user_ids": [(6, 0, admin.ids)],
})
conversations = env["discuss.channel"]
for user_id, name in CONFIG["users"]:
    identity, _created = env["line.identity"]._get_or_create(CONFIG["provider"], user_id)
    identity.name = name
    conversation = env["discuss.channel"]._line_create(line_channel, identity)
    line_channel._line_route(conversation)
    conversations |= conversation
floors = env["discuss.channel"].create([
    {"name": "Floor %%d" %% i, "channel_type": "channel", "group_public_id": False}
    for i in range(len(CONFIG["users"]))])
for channel in floors:
    channel.add_members(partner_ids=admin.partner_id.ids, post_joined_message=False)
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"conversations": conversations.ids, "floors": floors.ids}))
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_server_options(parser, "line_connector_bench")
    nginx.add_front_option(parser)
    return runner.parse_profiled(parser, PROFILES, argv)


# ----------------------------------------------------------------------------------------------
# Operators posting through Discuss
# ----------------------------------------------------------------------------------------------

class Operator:
    """An internal user's browser session, posting as Discuss's composer does."""

    def __init__(self, base_url, db, password):
        self.base_url = base_url
        self.session = requests.Session()
        answer = self.session.post(f"{base_url}/web/session/authenticate", json={
            "jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": "admin", "password": password}},
            timeout=30).json()
        if answer.get("error"):
            raise RuntimeError(f"cannot log in: {answer['error']}")

    def post(self, channel_id, text):
        """One message into a Discuss channel; a Sample (status 0 and the error when Odoo refused it)."""
        sent_at, started = time.time(), time.perf_counter()
        status, error = 0, None
        try:
            response = self.session.post(f"{self.base_url}/mail/message/post", timeout=60, json={
                "jsonrpc": "2.0", "method": "call", "params": {
                    "thread_model": "discuss.channel", "thread_id": channel_id,
                    "post_data": {"body": text, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"}}})
            answer = response.json()
            status = response.status_code
            if answer.get("error"):
                status, error = 0, answer["error"].get("data", {}).get("message") or str(answer["error"])
        except (requests.RequestException, ValueError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        return load.Sample(text, sent_at, time.perf_counter() - started, status, error)


def post_all(operators, channels, texts, deadline):
    """Each operator posts its share of ``texts`` (round robin over ``channels``), one at a time."""
    samples, lock = [], threading.Lock()

    def loop(index, operator):
        for number in range(index, len(texts), len(operators)):
            if time.monotonic() >= deadline:
                return
            sample = operator.post(channels[number % len(channels)], texts[number])
            with lock:
                samples.append(sample)

    threads = [threading.Thread(target=loop, args=(i, op), daemon=True) for i, op in enumerate(operators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


# ----------------------------------------------------------------------------------------------
# What LINE received
# ----------------------------------------------------------------------------------------------

def received(state):
    """Text -> the times (epoch seconds) the emulator accepted it for delivery to a customer."""
    deliveries = {}
    for entry in state.query("sent", channel_id=CHANNEL_ID):
        if entry.get("delivered"):
            for message in entry["messages"]:
                deliveries.setdefault(message.get("text"), []).append(entry["timestamp"] / 1000)
    return deliveries


def delivery_order(state):
    """Text -> its place in the order the emulator accepted messages (its first delivery)."""
    order = {}
    for entry in state.query("sent", channel_id=CHANNEL_ID):
        if entry.get("delivered"):
            for message in entry["messages"]:
                order.setdefault(message.get("text"), len(order))
    return order


def out_of_order(connection, state, texts):
    """Messages that reached LINE before a message posted earlier in the same conversation."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, res_id, id FROM mail_message WHERE model = 'discuss.channel' AND body = ANY(%s)",
                       [[f"<p>{text}</p>" for text in texts]])
        rows = cursor.fetchall()
    order = delivery_order(state)
    per_conversation = {}
    for body, conversation, message_id in rows:
        text = body.removeprefix("<p>").removesuffix("</p>")
        if text in order:
            per_conversation.setdefault(conversation, []).append((message_id, order[text]))
    overtaken = 0
    for messages in per_conversation.values():
        places = [place for _message_id, place in sorted(messages)]
        overtaken += sum(1 for i, place in enumerate(places) if any(later < place for later in places[i + 1:]))
    return overtaken


def wait_delivered(state, texts, deadline, poll=0.1):
    """Poll the emulator until every text arrived (or the deadline passed): (deliveries, seen_all_at)."""
    wanted = set(texts)
    while True:
        deliveries = received(state)
        if wanted <= deliveries.keys():
            return deliveries, time.time()
        if time.monotonic() >= deadline:
            return deliveries, None
        time.sleep(poll)


def ledger_states(connection, texts):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT l.state, l.method, count(*), sum(l.attempts)
              FROM line_message l JOIN mail_message m ON m.id = l.mail_message_id
             WHERE m.body = ANY(%s) GROUP BY l.state, l.method
        """, [[f"<p>{text}</p>" for text in texts]])
        rows = cursor.fetchall()
    return {f"{state}/{method or '-'}": {"messages": count, "attempts": int(attempts or 0)}
            for state, method, count, attempts in rows}


def sending_phase(ctx, name, faults=()):
    """Operators post ``messages`` texts into the LINE conversations; wait for LINE to have them all."""
    args, emulator = ctx.args, ctx.emulator
    emulator.faults.clear()
    for kind, rate, after in faults:
        emulator.faults.add("push", kind, rate=rate, after=after)
    # The emulator keeps its logs bounded: read what is new by id, not by position.
    calls_before = max((c["id"] for c in emulator.state.query("calls", channel_id=CHANNEL_ID)), default=0)
    texts = [f"{name} {i} {secrets.token_hex(3)}" for i in range(args.messages)]
    say(f"{name}: {len(texts)} posts by {args.clients} operators into {args.conversations} LINE conversations"
        + (f", faults {faults}" if faults else ""))
    samples = post_all(ctx.operators, ctx.setup["conversations"], texts, ctx.deadline(120))
    posts = load.summarize(samples)
    posted = [s.tag for s in samples if 200 <= s.status < 300]
    deliveries, seen_all_at = wait_delivered(emulator.state, posted, ctx.deadline(args.drain_seconds))
    emulator.faults.clear()
    first_sent = min((s.sent_at for s in samples), default=time.time())
    times = {s.tag: s.sent_at for s in samples}
    arrived = [text for text in posted if text in deliveries]
    latencies = [(min(deliveries[text]) - times[text]) * 1000 for text in arrived]
    last = max((max(deliveries[text]) for text in arrived), default=first_sent)
    duplicates = {text: len(deliveries[text]) for text in arrived if len(deliveries[text]) > 1}
    calls = [c for c in emulator.state.query("calls", since=calls_before, channel_id=CHANNEL_ID)
             if c.get("endpoint") in ("push", "reply")]
    ledger = ledger_states(ctx.db, posted)
    # Not at LINE yet but queued (a retry due after the drain's end): late, not lost. A message LINE
    # accepted whose answer was lost (a dropped connection) is at LINE and queued for its retry (which
    # LINE answers 409 with the same retry key): it counts once, as delivered.
    missing = [text for text in posted if text not in deliveries]
    retrying = sum(v["messages"] for k, v in ledger_states(ctx.db, missing).items() if k.startswith("queued/"))
    result = {
        "posts": posts,
        "posted": len(posted),
        "delivered": len(arrived),
        "retrying": retrying,
        "lost": len(posted) - len(arrived) - retrying,
        "duplicates": sum(n - 1 for n in duplicates.values()),
        "duplicated_messages": len(duplicates),
        "drained": seen_all_at is not None,
        "messages_per_s": round(len(arrived) / max(last - first_sent, 1e-9), 1) if arrived else None,
        "post_to_line_p50_ms": _round(load.percentile(latencies, 0.5)),
        "post_to_line_p90_ms": _round(load.percentile(latencies, 0.9)),
        "post_to_line_p99_ms": _round(load.percentile(latencies, 0.99)),
        "post_to_line_max_ms": _round(max(latencies) if latencies else None),
        "line_calls": dict(Counter(str(c.get("status")) for c in calls)),
        # Requests LINE accepted (what its quota counts, for pushes): messages posted one after another
        # in a conversation go in one request (line_message_send.py).
        "line_requests_ok": sum(1 for c in calls if str(c.get("status")) == "200"),
        "ledger": ledger,
        "out_of_order": out_of_order(ctx.db, emulator.state, posted),
    }
    say(f"{name}: posts {posts['rate_per_s']}/s (p99 {posts['p99_ms']} ms); {result['delivered']}/{len(posted)} "
        f"at LINE, {result['messages_per_s']} messages/s, post->LINE p50 {result['post_to_line_p50_ms']} ms "
        f"p99 {result['post_to_line_p99_ms']} ms; duplicates {result['duplicates']}, lost {result['lost']}, "
        f"still retrying {result['retrying']}, "
        f"out of order {result['out_of_order']}; "
        f"LINE answered {result['line_calls']}")
    return result


def floor_phase(ctx):
    args = ctx.args
    texts = [f"floor {i} {secrets.token_hex(3)}" for i in range(args.messages)]
    say(f"floor_post: {len(texts)} posts by {args.clients} operators into {args.conversations} Discuss channels")
    posts = load.summarize(post_all(ctx.operators, ctx.setup["floors"], texts, ctx.deadline(120)))
    say(f"floor_post: {posts['rate_per_s']}/s, p50 {posts['p50_ms']} ms, p99 {posts['p99_ms']} ms")
    return {"posts": posts}


def _round(value):
    return None if value is None else round(value, 1)


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------

class Context:
    def __init__(self, args):
        self.args = args
        self.end = time.monotonic() + args.max_seconds - 10
        self.emulator = self.odoo = self.db = self.setup = self.operators = None

    def deadline(self, seconds):
        return min(time.monotonic() + seconds, self.end)


def run(ctx, stack, results):
    from line_emulator.client import EmulatorClient
    from line_emulator.testing import EmulatorServer

    args = ctx.args
    secret, password = secrets.token_hex(16), secrets.token_urlsafe(12)
    ctx.emulator = EmulatorServer().start()
    stack.callback(ctx.emulator.stop)
    ctx.emulator.faults = ctx.emulator.app.faults
    client = EmulatorClient(ctx.emulator.base_url)
    client.create_channel(channel_id=CHANNEL_ID, channel_secret=secret, provider_id=PROVIDER,
                          display_name="Benchmark OA")
    users = []
    for i in range(args.conversations):
        user = client.create_user(provider_id=PROVIDER, display_name=f"Bench customer {i + 1}")
        user_id = user.get("user_id") or user.get("userId")
        ctx.emulator.state.set_friend_state(CHANNEL_ID, user_id, "friend")
        users.append((user_id, f"Bench customer {i + 1}"))

    log_dir = Path(tempfile.mkdtemp(prefix="line_bench_"))
    results["log_dir"] = str(log_dir)
    ctx.odoo = OdooServer(args.odoo_path, args.db, log_dir, sys.executable)
    say(f"creating database {args.db} (line_connector)")
    ctx.odoo.create_database(["line_connector"], timeout=240)
    config = {"base_url": ctx.odoo.base_url, "channel_id": CHANNEL_ID, "secret": secret, "password": password,
              "emulator_url": ctx.emulator.base_url, "provider": PROVIDER, "users": users}
    output = ctx.odoo.shell(SETUP_SCRIPT % json.dumps(config), timeout=120)
    ctx.setup = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_SETUP "))[12:])
    say(f"starting Odoo on {ctx.odoo.base_url}: {args.workers} workers, {args.cron_threads} cron workers")
    ctx.odoo.start(args.workers, args.cron_threads, proxy_mode=not args.direct)
    stack.callback(ctx.odoo.stop)
    ctx.odoo.wait_ready(timeout=60)
    # The operators' browsers talk to nginx, as in production; LINE fetches media from web.base.url.
    port, results["front"] = nginx.front_for(stack, ctx.odoo, args, log_dir / "nginx")
    say(f"operators post through {results['front']['front']} on port {port}")
    ctx.db = ingest.connect(args.db)
    stack.callback(ctx.db.close)
    ctx.operators = [Operator(f"http://127.0.0.1:{port}", args.db, password) for _ in range(args.clients)]

    say("warming up")
    warm = [f"warm-up {i}" for i in range(2 * args.clients)]
    post_all(ctx.operators, ctx.setup["floors"], warm, ctx.deadline(30))
    post_all(ctx.operators, ctx.setup["conversations"], warm, ctx.deadline(30))
    wait_delivered(ctx.emulator.state, warm, ctx.deadline(60))

    results["phases"]["floor_post"] = floor_phase(ctx)
    results["phases"]["clean"] = sending_phase(ctx, "clean")
    results["phases"]["faults"] = sending_phase(ctx, "faults", FAULTS)


def rows(results):
    phases = results["phases"]
    floor = phases.get("floor_post", {}).get("posts", {})
    table = [("Floor: Discuss posts/s into ordinary channels", floor.get("rate_per_s"), "/s", None, None),
             ("Floor: Discuss post p99", floor.get("p99_ms"), "ms", None, None)]
    for name in ("clean", "faults"):
        phase = phases.get(name)
        if not phase:
            continue
        posts = phase["posts"]
        # Under faults the rate is that of the retries' tail (Odoo's cron poll), not of sending.
        ratio = (round(floor["rate_per_s"] / phase["messages_per_s"], 2)
                 if name == "clean" and floor.get("rate_per_s") and phase.get("messages_per_s") else None)
        table += [
            (f"[{name}] Discuss posts/s into LINE conversations", posts.get("rate_per_s"), "/s", None, None),
            (f"[{name}] Discuss post p99", posts.get("p99_ms"), "ms", None, None),
            (f"[{name}] Messages/s acknowledged by LINE (post -> LINE)", phase.get("messages_per_s"), "/s",
             ratio, None),
            (f"[{name}] Post -> LINE p50", phase.get("post_to_line_p50_ms"), "ms", None, None),
            (f"[{name}] Post -> LINE p90", phase.get("post_to_line_p90_ms"), "ms", None, None),
            (f"[{name}] Post -> LINE p99", phase.get("post_to_line_p99_ms"), "ms", None, None),
            (f"[{name}] Messages lost", phase.get("lost"), "", None, phase.get("lost") == 0),
            (f"[{name}] Messages still queued for a retry when the drain ended",
             phase.get("retrying"), "", None, None),
            (f"[{name}] LINE requests for them (accepted)", phase.get("line_requests_ok"), "", None, None),
            (f"[{name}] Messages delivered twice or more", phase.get("duplicates"), "", None,
             phase.get("duplicates") == 0),
            (f"[{name}] Messages delivered before one posted earlier in their conversation",
             phase.get("out_of_order"), "", None, None if phase.get("out_of_order") is None
             else phase["out_of_order"] == 0),
        ]
    return table


def markdown(results):
    config = results["config"]
    lines = [
        f"# Outbound benchmark, {results['started']}", "",
        f"`{results['command']}` on {results['machine']}; Odoo {config['workers']} HTTP workers, "
        f"{config['cron_threads']} cron workers; {config['clients']} operators post {config['messages']} messages "
        f"per phase into {config['conversations']} conversations; line_connector at "
        f"{results['addon_version']['commit']}{' (modified)' if results['addon_version']['modified'] else ''}; "
        f"load average before {results['load_average_before'][0]:.2f}; the operators post through "
        f"{(results.get('front') or {}).get('front', 'Odoo directly')}. Ratio: floor posts/s / messages/s.", "",
        "| Metric | Value | Ratio to the floor | Result |", "|---|---|---|---|"]
    for metric, value, unit, ratio, passed in rows(results):
        lines.append(f"| {metric} | {'-' if value is None else f'{value:g} {unit}'.strip()} | "
                     f"{'-' if ratio is None else f'{ratio:g}x'} | "
                     f"{'-' if passed is None else ('PASS' if passed else 'FAIL')} |")
    for name in ("clean", "faults"):
        phase = results["phases"].get(name)
        if phase:
            lines.append(f"\n`{name}`: LINE answered {phase['line_calls']}; ledger {phase['ledger']}.")
    if results.get("error"):
        lines.append(f"\nThe run stopped early: {results['error']}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    results = runner.new_results("outbound.py", args, sys.argv[1:] if argv is None else argv)
    results["faults"] = [{"kind": k, "rate": r, "after_accepted": a} for k, r, a in FAULTS]
    run_guarded(run, Context(args), results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "").replace(" ", "-")
    path = RESULTS / f"outbound-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "outbound-latest.md").write_text(markdown(results))
    print("\n" + markdown(results))
    say(f"results: {path.relative_to(ROOT)} and bench/results/outbound-latest.md")
    failed = any(phase.get("duplicates") or phase.get("lost") or phase.get("out_of_order")
                 for phase in results["phases"].values())
    return 1 if results.get("error") or failed else 0


if __name__ == "__main__":
    sys.exit(main())
