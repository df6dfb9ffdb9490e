#!/usr/bin/env python3
"""The inbound benchmark of line_connector: LINE webhooks into Odoo Discuss, next to Odoo's own floor.

Runs, in one fresh database and one Odoo (2 HTTP workers, 2 cron workers), each phase bounded
in count and time:

  floor_bare / floor_bare_solo      a bare public route, at C concurrent clients / one client
  floor_post / floor_post_one_channel / floor_post_solo
                                    one ``message_post`` per request, into K channels / one channel / unloaded
  burst                             S LINE users send M text messages each, as fast as acknowledged
  newcomers                         N LINE users unknown to Odoo each follow the account and write one
                                    text (first contact: profile, identity, guest, conversation, routing)
  steady                            the same users at a fixed total rate (events/s), below saturation

then writes bench/results/inbound-<date>.json and bench/results/latest.md (see bench/README.md).

    ./dev bench [--quick] [options]
    PYTHONPATH=. ODOO_PATH=~/.cache/odoo/18.0 .venv/bin/python bench/inbound.py --quick
"""

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ingest, load, netstat, nginx, odoo_log, report, runner
from bench.harness.line_events import WebhookSender
from bench.harness.odoo_server import ROOT, OdooServer
from bench.harness.runner import run_guarded, say
from bench.harness.sampler import PgSampler

RESULTS = ROOT / "bench" / "results"
PROVIDER = "bench-provider"
CHANNEL_ID = "2000009901"

# Sizes per profile; every one can be overridden on the command line.
PROFILES = {
    "full": {"floor_requests": 1000, "floor_one_channel_requests": 400, "solo_requests": 50, "senders": 50,
             "messages": 20, "newcomers": 400, "steady_rate": 20.0, "steady_seconds": 20.0, "drain_seconds": 90,
             "max_seconds": 360},
    "quick": {"floor_requests": 250, "floor_one_channel_requests": 100, "solo_requests": 20, "senders": 50,
              "messages": 4, "newcomers": 100, "steady_rate": 10.0, "steady_seconds": 6.0, "drain_seconds": 40,
              "max_seconds": 180},
}

SETUP_SCRIPT = """
import json
CONFIG = json.loads(%r)
env["ir.config_parameter"].set_param("web.base.url", CONFIG["base_url"])
admin = env.ref("base.user_admin")
line_channel = env["line.channel"].create({
    "name": "Benchmark OA", "channel_number": CONFIG["channel_id"], "channel_secret": CONFIG["secret"],
    "api_url": CONFIG["emulator_url"], "data_url": CONFIG["emulator_url"], "provider_name": CONFIG["provider"],
    "responsible_user_ids": [(6, 0, admin.ids)],
})
# The floor's channels look like LINE conversations: the responsible user and one guest as members.
guests = env["mail.guest"].create([{"name": "Floor guest %%d" %% i} for i in range(CONFIG["floor_channels"])])
channels = env["discuss.channel"].create([
    {"name": "Floor %%d" %% i, "channel_type": "channel", "group_public_id": False}
    for i in range(CONFIG["floor_channels"])])
for channel, guest in zip(channels, guests):
    channel.add_members(partner_ids=admin.partner_id.ids, guest_ids=guest.ids, post_joined_message=False)
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"token": line_channel.webhook_token, "floor_channels": channels.ids}))
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_server_options(parser, "line_connector_bench")
    nginx.add_front_option(parser)
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients of the floor phases")
    parser.add_argument("--post-concurrency", type=int, default=None,
                        help="concurrent clients of the message_post floor (default 8 x workers: Odoo's listen "
                             "backlog; more makes it measure the kernel's SYN retransmissions, see README)")
    parser.add_argument("--floor-channels", type=int, default=None,
                        help="distinct channels of the message_post floor (default: as many as senders)")
    parser.add_argument("--no-steady", action="store_true", help="skip the steady-rate phase")
    parser.add_argument("--newcomer-senders", type=int, default=None,
                        help="closed-loop senders of the newcomers phase (default: as many as --senders)")
    args = runner.parse_profiled(parser, PROFILES, argv)
    args.post_concurrency = args.post_concurrency or 8 * args.workers
    args.floor_channels = args.floor_channels or args.post_concurrency
    args.newcomer_senders = min(args.newcomer_senders or args.senders, max(args.newcomers, 1))
    return args


class Budget:
    """The run's hard wall-clock cap, and each phase's share of what is left."""

    RESERVE = 10  # seconds kept for stopping Odoo and writing the results

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def deadline(self, phase_seconds):
        return min(time.monotonic() + phase_seconds, self.end - self.RESERVE)

    def left(self):
        return self.end - self.RESERVE - time.monotonic()


# ----------------------------------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------------------------------

def start_emulator(stack, secret, senders, newcomers=0, with_server=False):
    """The LINE platform emulator, in this process: the channel, one LINE user per sender (and one
    for the warm-up), then ``newcomers`` more whom Odoo does not know until they follow."""
    # Imported when run: the emulator is a sibling package, written and tested on its own.
    from line_emulator.client import EmulatorClient
    from line_emulator.testing import EmulatorServer
    from line_emulator.webhook import sign

    server = EmulatorServer()
    server.start()
    stack.callback(server.stop)
    client = EmulatorClient(server.base_url)
    channel = client.create_channel(channel_id=CHANNEL_ID, channel_secret=secret, provider_id=PROVIDER,
                                    display_name="Benchmark OA")
    users = [_user_id(client.create_user(provider_id=PROVIDER, display_name=f"Bench customer {i + 1}"))
             for i in range(senders + 1 + newcomers)]
    # The newcomers follow the account at LINE (the webhook of it is the phase's to send): LINE then
    # gives the bot their profile and picture, which it refuses (404) for users who are not friends.
    for user_id in users[senders + 1:]:
        server.state.set_friend_state(CHANNEL_ID, user_id, "friend")
    destination = channel.get("bot_user_id") or channel.get("botUserId") or "U" + secrets.token_hex(16)
    if with_server:  # growth.py makes friends of its customers as it goes
        return server, destination, users, sign
    return server.base_url, destination, users, sign


def _user_id(user):
    return user.get("user_id") or user.get("userId")


def set_up_odoo(odoo, args, secret, emulator_url, budget):
    say(f"creating database {args.db} (line_connector, line_bench_floor)")
    odoo.create_database(["line_connector", "line_bench_floor"], timeout=max(budget.left() - 30, 30))
    config = {"base_url": odoo.base_url, "channel_id": CHANNEL_ID, "secret": secret, "emulator_url": emulator_url,
              "provider": PROVIDER, "floor_channels": args.floor_channels}
    output = odoo.shell(SETUP_SCRIPT % json.dumps(config), timeout=max(budget.left() - 20, 20))
    line = next(line for line in output.splitlines() if line.startswith("BENCH_SETUP "))
    return json.loads(line.split(" ", 1)[1])


# ----------------------------------------------------------------------------------------------
# Phases
# ----------------------------------------------------------------------------------------------

FLOOR_POST = "/line_bench/floor/post/%d"


def floor_requests(path, count, senders, body=b"floor"):
    """``count`` requests to ``path`` (a str, or one per sender), spread over ``senders`` loops."""
    paths = [path] * senders if isinstance(path, str) else path
    share = [count // senders + (1 if i < count % senders else 0) for i in range(senders)]
    return [_repeat(load.Request(paths[i], body, {"Content-Type": "text/plain"}), n) for i, n in enumerate(share) if n]


def _repeat(request, count):
    for _ in range(count):
        yield request


def run_floor(ctx, name, path, count, concurrency, seconds=60, **extra):
    ctx.sampler.phase(name)
    say(f"{name}: {count} requests at concurrency {concurrency}")
    tcp = netstat.read()
    samples, truncated = load.run_closed_loop(ctx.port, floor_requests(path, count, concurrency),
                                              ctx.budget.deadline(seconds))
    result = dict(load.summarize(samples), concurrency=concurrency, truncated=truncated,
                  tcp=netstat.delta(tcp, netstat.read()), **extra)
    say(f"{name}: {result['rate_per_s']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    return result


def run_floor_post(ctx, name):
    """One message_post per request, each client in its own channel (round robin over the floor channels)."""
    channels, clients = ctx.setup["floor_channels"], ctx.args.post_concurrency
    per_sender = [FLOOR_POST % channels[i % len(channels)] for i in range(clients)]
    return run_floor(ctx, name, per_sender, ctx.args.floor_requests, clients, channels=len(channels))


def run_floors(ctx):
    args, post = ctx.args, FLOOR_POST
    channels = ctx.setup["floor_channels"]
    clients = args.post_concurrency
    return {
        "floor_bare": run_floor(ctx, "floor_bare", "/line_bench/floor/bare", args.floor_requests, args.concurrency),
        "floor_bare_solo": run_floor(ctx, "floor_bare_solo", "/line_bench/floor/bare", args.solo_requests, 1),
        "floor_post": run_floor_post(ctx, "floor_post"),
        "floor_post_one_channel": run_floor(ctx, "floor_post_one_channel", post % channels[0],
                                            args.floor_one_channel_requests, clients, channels=1),
        "floor_post_solo": run_floor(ctx, "floor_post_solo", post % channels[-1], args.solo_requests, 1, channels=1),
    }


def finish_ingest(ctx, name, samples, seconds):
    """Wait until the events acknowledged are processed, then measure webhook -> Discuss message."""
    acked = [s.tag for s in samples if 200 <= s.status < 300]
    ctx.sampler.phase(name + ":drain")
    states, done_at = ingest.wait_processed(ctx.db, acked, ctx.budget.deadline(seconds))
    rows = ingest.event_rows(ctx.db, acked)
    result = dict(ingest.ingestion(samples, rows, done_at, ctx.args.cron_threads), states=states,
                  drained=done_at is not None)
    say(f"{name}: {result.get('ingest_rate_per_s')} events/s end to end, webhook->message "
        f"p50 {result['e2e_p50_ms']} ms p99 {result['e2e_p99_ms']} ms, {result['missing_message']} missing")
    return result


def run_warmup(ctx):
    """A few requests on every route, and a first LINE event processed, before anything is measured."""
    ctx.sampler.phase(None)
    say("warming up")
    channel = ctx.setup["floor_channels"][0]
    senders = floor_requests("/line_bench/floor/bare", 20, 4) + floor_requests(
        f"/line_bench/floor/post/{channel}", 8, 2)
    load.run_closed_loop(ctx.port, senders, ctx.budget.deadline(30))
    samples, _truncated = load.run_closed_loop(
        ctx.port, [ctx.webhook.texts(ctx.users[-1], 3, "warm-up")], ctx.budget.deadline(30))
    ingest.wait_processed(ctx.db, [s.tag for s in samples], ctx.budget.deadline(60))


def run_burst(ctx):
    args = ctx.args
    ctx.sampler.phase("burst")
    say(f"burst: {args.senders} LINE users x {args.messages} text messages, each sent when the last is acknowledged")
    senders = [ctx.webhook.texts(user, args.messages, "burst") for user in ctx.users[:args.senders]]
    tcp = netstat.read()
    samples, truncated = load.run_closed_loop(ctx.port, senders, ctx.budget.deadline(120))
    ack = dict(load.summarize(samples), tcp=netstat.delta(tcp, netstat.read()))
    say(f"burst: {ack['rate_per_s']} acks/s, ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms, {ack['statuses']}")
    return {"ack": ack, "truncated": truncated, "ingest": finish_ingest(ctx, "burst", samples, args.drain_seconds)}


def wait_no_backlog(ctx, seconds):
    """Until no stored event waits to be processed (or ``seconds`` pass): the events still waiting."""
    deadline = ctx.budget.deadline(seconds)
    while True:
        with ctx.db.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM line_event WHERE state = 'new'")
            waiting = cursor.fetchone()[0]
        if not waiting or time.monotonic() >= deadline:
            return waiting
        time.sleep(0.2)


def newcomer(ctx, user_id):
    """A first contact, as LINE sends it: the user follows the account, then writes one text."""
    from line_emulator.webhook import follow_event, user_source

    yield ctx.webhook.request(follow_event(user_source(user_id), reply_token=secrets.token_hex(16)))
    yield from ctx.webhook.texts(user_id, 1, "newcomer")


def run_newcomers(ctx):
    """New customers, each a follow and a text, from many closed-loop senders: what first contact
    costs end to end (profile fetched from LINE, identity, guest, conversation, members, routing)."""
    args, users = ctx.args, ctx.newcomers
    # What the burst left to process would be counted against the newcomers: let it drain first.
    backlog = wait_no_backlog(ctx, args.drain_seconds)
    ctx.sampler.phase("newcomers")
    say(f"newcomers: {len(users)} LINE users unknown to Odoo, each a follow and a text, "
        f"{args.newcomer_senders} closed-loop senders")
    senders = [(request for user in users[start::args.newcomer_senders] for request in newcomer(ctx, user))
               for start in range(args.newcomer_senders)]
    tcp = netstat.read()
    samples, truncated = load.run_closed_loop(ctx.port, senders, ctx.budget.deadline(120))
    ack = dict(load.summarize(samples), tcp=netstat.delta(tcp, netstat.read()))
    say(f"newcomers: {ack['rate_per_s']} acks/s, ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms, {ack['statuses']}")
    return {"ack": ack, "truncated": truncated, "customers": len(users), "senders": args.newcomer_senders,
            "backlog_at_start": backlog,
            "ingest": finish_ingest(ctx, "newcomers", samples, args.drain_seconds)}


def run_steady(ctx):
    args = ctx.args
    ctx.sampler.phase("steady")
    interval = args.senders / args.steady_rate
    say(f"steady: {args.senders} LINE users, {args.steady_rate:g} events/s in all, for {args.steady_seconds:g} s")
    senders = [ctx.webhook.endless_texts(user, "steady") for user in ctx.users[:args.senders]]
    samples, truncated = load.run_paced(ctx.port, senders, interval, args.steady_seconds,
                                        ctx.budget.deadline(args.steady_seconds + 5))
    ack = load.summarize(samples)
    say(f"steady: ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms, {ack['statuses']}")
    return {"ack": ack, "truncated": truncated, "rate": args.steady_rate,
            "ingest": finish_ingest(ctx, "steady", samples, args.drain_seconds)}


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------

class Context:
    """What the phases share: options, budget, Odoo, database connection, sampler, LINE users."""

    def __init__(self, args, budget):
        self.args, self.budget = args, budget
        self.odoo = self.db = self.sampler = self.setup = self.webhook = self.users = self.newcomers = None
        self.port = None  # where every request goes: nginx in front of Odoo, or Odoo itself (--direct)


def run(ctx, stack, results):
    args = ctx.args
    secret = secrets.token_hex(16)
    log_dir = Path(tempfile.mkdtemp(prefix="line_bench_"))  # kept: Odoo's log, for a closer look
    results["log_dir"] = str(log_dir)
    emulator_url, destination, users, sign = start_emulator(stack, secret, args.senders, args.newcomers)
    ctx.users, ctx.newcomers = users[:args.senders + 1], users[args.senders + 1:]
    ctx.odoo = OdooServer(args.odoo_path, args.db, log_dir, sys.executable)
    ctx.setup = set_up_odoo(ctx.odoo, args, secret, emulator_url, ctx.budget)
    ctx.webhook = WebhookSender(f"/line/webhook/{ctx.setup['token']}", secret, destination, sign)
    say(f"starting Odoo on {ctx.odoo.base_url}: {args.workers} workers, {args.cron_threads} cron worker(s)")
    ctx.odoo.start(args.workers, args.cron_threads, proxy_mode=not args.direct)
    stack.callback(ctx.odoo.stop)
    ctx.odoo.wait_ready(timeout=min(60, ctx.budget.left()))
    ctx.port, results["front"] = nginx.front_for(stack, ctx.odoo, args, log_dir / "nginx")
    say(f"requests go to {results['front']['front']} on port {ctx.port}")
    ctx.db = ingest.connect(args.db)
    stack.callback(ctx.db.close)
    ctx.sampler = PgSampler(args.db).start()
    stack.callback(ctx.sampler.stop)
    run_warmup(ctx)
    results["phases"].update(run_floors(ctx))
    results["phases"]["burst"] = run_burst(ctx)
    if ctx.newcomers:
        results["phases"]["newcomers"] = run_newcomers(ctx)
    # The message_post floor again, right after the burst and the newcomers: on a machine whose
    # speed drifts, both are compared with the floor on both sides of them.
    results["phases"]["floor_post_after"] = run_floor_post(ctx, "floor_post_after")
    if not args.no_steady:
        results["phases"]["steady"] = run_steady(ctx)
    log_text = ctx.odoo.log_path.read_text(errors="replace")
    results["odoo_log"] = {"requests": odoo_log.request_costs(log_text), "cron": odoo_log.cron_runs(log_text)}
    results["db_samples"] = {label: ctx.sampler.report(label) for label in ctx.sampler.counts}


def front_note(results):
    front = results.get("front") or {}
    if front.get("front") == "nginx":
        return (f"- Every request (floors and webhooks) went through nginx {front.get('version')} in front of Odoo "
                "(bench/harness/nginx.py); `--direct` sends to Odoo's port.\n")
    return "- Every request went to Odoo's HTTP port directly (`--direct`), no proxy in front.\n"


def write_results(results):
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "").replace(" ", "-")
    path = RESULTS / f"inbound-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "latest.md").write_text(report.markdown(results) + front_note(results))
    return path


def main(argv=None):
    args = parse_args(argv)
    budget = Budget(args.max_seconds)
    results = runner.new_results("inbound.py", args, sys.argv[1:] if argv is None else argv)
    run_guarded(run, Context(args, budget), results)
    if results["phases"]:
        path = write_results(results)
        print("\n" + report.text_table(results) + "\n")
        for note in report.notes(results):
            say(note.removeprefix("- "))
        say(f"results: {path.relative_to(ROOT)} and bench/results/latest.md")
    return 1 if results.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
