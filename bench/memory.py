#!/usr/bin/env python3
"""The memory benchmark of line_connector: what a 200 MB video costs Odoo's workers, both ways.

One fresh database, one Odoo (2 HTTP workers, 2 cron workers) behind the run's nginx
(deploy/nginx.conf), the LINE platform emulator in this process. The RSS of every Odoo process
(and nginx's, and this one's, which hosts the emulator) is sampled at ``--hz`` (20) from idle
through each direction:

  inbound    a customer sends a video of ``--video-mb`` (200) MB; the emulator makes its content as
             it is downloaded (never held whole); a cron worker streams it into the filestore
  outbound   an operator posts that video in the customer's LINE conversation (Discuss's own
             ``/mail/message/post``); a cron worker pushes it to LINE, and LINE (the emulator)
             downloads it from Odoo's attachment URL through nginx: an HTTP worker serves it

Per process and direction: peak RSS minus its idle RSS (the median of the ``--idle-seconds``
before the direction started). Writes bench/results/memory-<date>.json and memory-latest.md.

    ./dev bench memory [--quick]
    PYTHONPATH=. ODOO_PATH=~/.cache/odoo/18.0 .venv/bin/python bench/memory.py --quick
"""

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from bench.harness import ingest, load, nginx, runner
from bench.harness.line_events import WebhookSender
from bench.harness.odoo_server import OdooServer
from bench.harness.runner import run_guarded, say

PROVIDER = "bench-provider"
CHANNEL_ID = "2000009903"
MB = 1000 * 1000            # the video's size is in MB as LINE states its limits (200 MB)
MIB = 1024 * 1024           # memory is in MiB, as the kernel counts it
PEAK_TARGET_MIB = 100       # issue #13: peak worker memory for a 200 MB video, above idle

PROFILES = {
    "full": {"video_mb": 200, "idle_seconds": 3.0, "hz": 20.0, "max_seconds": 600},
    "quick": {"video_mb": 200, "idle_seconds": 2.0, "hz": 20.0, "max_seconds": 300},
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
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"token": line_channel.webhook_token}))
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_server_options(parser, "line_connector_memory")
    nginx.add_front_option(parser)
    return runner.parse_profiled(parser, PROFILES, argv)


# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------

class RssSampler(threading.Thread):
    """The RSS of every process of an Odoo server (master, HTTP and cron workers, gevent), of nginx
    and of this process, ``hz`` times a second. Workers Odoo starts meanwhile are picked up."""

    REFRESH = 0.5  # seconds between looks for new processes

    def __init__(self, odoo, front, hz):
        super().__init__(name="rss-sampler", daemon=True)
        self.odoo, self.front, self.interval = odoo, front, 1.0 / hz
        self.samples = []            # (time, pid, rss bytes)
        self.roles = {}              # pid -> role
        self.stopped = threading.Event()

    def _refresh(self):
        roles = {os.getpid(): "bench (emulator)"}
        master = psutil.Process(self.odoo.process.pid)
        roles[master.pid] = "odoo master"
        cron = set(self.odoo.cron_worker_pids())
        for child in master.children():
            try:
                role = "odoo gevent" if "gevent" in child.cmdline() else (
                    "odoo cron worker" if child.pid in cron else "odoo HTTP worker")
            except psutil.NoSuchProcess:
                continue
            roles[child.pid] = role
        if self.front is not None and self.front.process:
            front = psutil.Process(self.front.process.pid)
            roles[front.pid] = "nginx master"
            roles.update({child.pid: "nginx worker" for child in front.children()})
        self.roles.update(roles)
        return [psutil.Process(pid) for pid in roles]

    def run(self):
        processes, refreshed = [], 0.0
        while not self.stopped.is_set():
            now = time.monotonic()
            if now - refreshed > self.REFRESH:
                processes, refreshed = self._refresh(), now
            at = time.time()
            for process in processes:
                try:
                    self.samples.append((at, process.pid, process.memory_info().rss))
                except psutil.NoSuchProcess:
                    continue
            self.stopped.wait(max(0.0, self.interval - (time.monotonic() - now)))

    def stop(self):
        self.stopped.set()
        self.join(5)

    def window(self, idle_from, start, end):
        """Per process: its idle RSS (median over [idle_from, start)), its peak over [start, end]."""
        by_pid = {}
        for at, pid, rss in self.samples:
            if idle_from <= at < start:
                by_pid.setdefault(pid, {"idle": [], "peak": []})["idle"].append(rss)
            elif start <= at <= end:
                by_pid.setdefault(pid, {"idle": [], "peak": []})["peak"].append(rss)
        result = []
        for pid, values in sorted(by_pid.items()):
            if not values["peak"]:
                continue
            idle = statistics.median(values["idle"]) if values["idle"] else None
            peak = max(values["peak"])
            result.append({"pid": pid, "role": self.roles.get(pid, "?"), "samples": len(values["peak"]),
                           "idle_mib": _mib(idle), "peak_mib": _mib(peak),
                           "above_idle_mib": _mib(peak - idle) if idle is not None else None,
                           "new_during_phase": idle is None})
        return result


def high_water_marks(pids):
    """VmHWM (the kernel's peak RSS since the process started) of each process still alive."""
    marks = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    marks[pid] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return marks


def _mib(value):
    return None if value is None else round(value / MIB, 1)


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------

class Context:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.max_seconds - 15
        self.emulator = self.emu = self.odoo = self.front = self.db = self.sampler = None
        self.webhook = self.user_id = self.port = self.password = None


def start_emulator(stack, secret):
    from line_emulator.client import EmulatorClient
    from line_emulator.testing import EmulatorServer
    from line_emulator.webhook import sign

    server = EmulatorServer()
    server.start()
    stack.callback(server.stop)
    client = EmulatorClient(server.base_url, timeout=60)
    # allow_http_media: the benchmark's Odoo serves its media on plain http (LINE requires https).
    channel = client.create_channel(channel_id=CHANNEL_ID, channel_secret=secret, provider_id=PROVIDER,
                                    display_name="Benchmark OA", allow_http_media=True)
    user = client.create_user(provider_id=PROVIDER, display_name="Memory customer")
    destination = channel.get("bot_user_id") or channel.get("botUserId") or "U" + secrets.token_hex(16)
    return server, client, user.get("user_id") or user.get("userId"), destination, sign


def send_event(ctx, event):
    """One signed webhook through the front; wait until Odoo processed it."""
    request = ctx.webhook.request(event)
    sample = load.send(ctx.port, request)
    if not 200 <= sample.status < 300:
        raise RuntimeError(f"webhook not acknowledged: {sample.status} {sample.error}")
    states, done_at = ingest.wait_processed(ctx.db, [request.tag], min(ctx.deadline, time.monotonic() + 300))
    if done_at is None or states.get("done") != 1:
        raise RuntimeError(f"event {request.tag} not processed: {states}")
    return request.tag


def video_event(ctx, size):
    """A video message event whose content (``size`` bytes, made as it is downloaded) LINE keeps."""
    return ctx.emu.build_event(CHANNEL_ID, ctx.user_id, "video", generated_size=size, duration=60000)


def posted_attachment(ctx, webhook_event_id):
    with ctx.db.cursor() as cursor:
        cursor.execute("""
            SELECT a.id, a.file_size, a.mimetype, e.conversation_id
              FROM line_event e
              JOIN message_attachment_rel r ON r.message_id = e.message_id
              JOIN ir_attachment a ON a.id = r.attachment_id
             WHERE e.webhook_event_id = %s
        """, [webhook_event_id])
        row = cursor.fetchone()
    if not row:
        raise RuntimeError(f"event {webhook_event_id} posted no attachment")
    return dict(zip(("id", "file_size", "mimetype", "conversation_id"), row, strict=True))


class Operator:
    """The admin's browser session, posting as Discuss's composer does."""

    def __init__(self, base_url, db, password):
        self.base_url, self.session = base_url, requests.Session()
        answer = self.session.post(f"{base_url}/web/session/authenticate", json={
            "jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": "admin", "password": password}},
            timeout=60).json()
        if answer.get("error"):
            raise RuntimeError(f"cannot log in: {answer['error']}")

    def post(self, conversation_id, text, attachment_ids):
        answer = self.session.post(f"{self.base_url}/mail/message/post", timeout=120, json={
            "jsonrpc": "2.0", "method": "call", "params": {
                "thread_model": "discuss.channel", "thread_id": conversation_id,
                "post_data": {"body": text, "message_type": "comment", "subtype_xmlid": "mail.mt_comment",
                              "attachment_ids": attachment_ids}}}).json()
        if answer.get("error"):
            raise RuntimeError(f"the post was refused: {answer['error'].get('data', {}).get('message')}")


def wait_fetched(ctx, since, size):
    """Until LINE (the emulator) has fetched the pushed video of ``size`` bytes; its fetch records."""
    limit = min(ctx.deadline, time.monotonic() + 300)
    while time.monotonic() < limit:
        for sent in ctx.emu.sent(channel_id=CHANNEL_ID, since=since):
            fetches = sent.get("media_fetches") or []
            if any(fetch.get("size") == size or (fetch.get("error") and fetch.get("size") is not None)
                   for fetch in fetches):
                return fetches
        time.sleep(0.1)
    raise RuntimeError("LINE did not fetch the video in time")


def last_sent_id(ctx):
    sent = ctx.emu.sent(channel_id=CHANNEL_ID)
    return sent[-1]["id"] if sent else 0


def inbound(ctx, size):
    """The customer sends the video; returns (webhook event id, seconds it took)."""
    started = time.time()
    tag = send_event(ctx, video_event(ctx, size))
    return tag, time.time() - started


def outbound(ctx, operator, attachment, size):
    """The operator posts the customer's video back into the conversation; LINE fetches it."""
    since = last_sent_id(ctx)
    started = time.time()
    operator.post(attachment["conversation_id"], "Here is the video", [attachment["id"]])
    fetches = wait_fetched(ctx, since, size)
    return fetches, time.time() - started


def measured(ctx, name, action):
    """Idle, then ``action()`` while sampled; the phase's figures per process."""
    idle_from = time.time()
    time.sleep(ctx.args.idle_seconds)
    start = time.time()
    say(f"{name}: started")
    outcome = action()
    time.sleep(0.5)  # the last samples of the phase
    end = time.time()
    processes = ctx.sampler.window(idle_from, start, end)
    for row in processes:
        say(f"  {row['role']:<18} pid {row['pid']:>7}: idle {row['idle_mib']} MiB, peak {row['peak_mib']} MiB, "
            f"above idle {row['above_idle_mib']} MiB")
    return {"seconds": round(end - start, 2), "processes": processes}, outcome


def warm_up(ctx, operator):
    """Every worker's registry loaded, every path run once with a small video (not measured)."""
    say("warming up: a follow, texts, and a 2 MB video both ways")
    delivery = ctx.emu.follow(CHANNEL_ID, ctx.user_id)["delivery"]  # LINE itself delivers this one
    if not 200 <= (delivery.get("status_code") or 0) < 300:
        raise RuntimeError(f"the follow was not acknowledged: {delivery}")
    load.run_closed_loop(ctx.port, [ctx.webhook.texts(ctx.user_id, 4, "warm-up") for _ in range(4)],
                         ctx.deadline)
    for _ in range(2):
        tag, _seconds = inbound(ctx, 2 * MB)
        outbound(ctx, operator, posted_attachment(ctx, tag), 2 * MB)


def remove_filestore(db):
    """The database's files in Odoo's default data folder: a run leaves 200 MB there otherwise."""
    folder = Path.home() / ".local" / "share" / "Odoo" / "filestore" / db
    if folder.is_dir():
        shutil.rmtree(folder)


def websocket_through(port, seconds=30):
    """The front's websocket check, tried again while Odoo's gevent process is still starting (it
    starts after the HTTP workers: nginx answers 502 until then)."""
    deadline = time.monotonic() + seconds
    while (error := nginx.websocket_check(port)) and "502" in error and time.monotonic() < deadline:
        time.sleep(1)
    return error


def run(ctx, stack, results):
    args = ctx.args
    size = args.video_mb * MB
    remove_filestore(args.db)
    stack.callback(remove_filestore, args.db)
    secret, ctx.password = secrets.token_hex(16), secrets.token_urlsafe(12)
    log_dir = Path(tempfile.mkdtemp(prefix="line_memory_"))
    results["log_dir"] = str(log_dir)
    ctx.emulator, ctx.emu, ctx.user_id, destination, sign = start_emulator(stack, secret)
    ctx.odoo = OdooServer(args.odoo_path, args.db, log_dir, sys.executable)
    ctx.front = None if args.direct else nginx.NginxFront(ctx.odoo, log_dir / "nginx")
    base_url = ctx.front.base_url if ctx.front else ctx.odoo.base_url  # where LINE fetches the media from
    say(f"creating database {args.db} (line_connector)")
    ctx.odoo.create_database(["line_connector"], timeout=max(ctx.deadline - time.monotonic() - 60, 60))
    config = {"base_url": base_url, "channel_id": CHANNEL_ID, "secret": secret, "password": ctx.password,
              "emulator_url": ctx.emulator.base_url, "provider": PROVIDER}
    output = ctx.odoo.shell(SETUP_SCRIPT % json.dumps(config), timeout=180)
    setup = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_SETUP ")).split(" ", 1)[1])
    ctx.webhook = WebhookSender(f"/line/webhook/{setup['token']}", secret, destination, sign)
    ctx.emu.update_channel(CHANNEL_ID, webhook_url=base_url + ctx.webhook.path)
    say(f"starting Odoo: {args.workers} workers, {args.cron_threads} cron worker(s)")
    ctx.odoo.start(args.workers, args.cron_threads, proxy_mode=not args.direct)
    stack.callback(ctx.odoo.stop)
    ctx.odoo.wait_ready(timeout=120)
    if ctx.front:
        ctx.front.start()
        stack.callback(ctx.front.stop)
    ctx.port = ctx.front.port if ctx.front else ctx.odoo.http_port
    results["front"] = {"front": "nginx" if ctx.front else "direct", "version": nginx.version() if ctx.front else None}
    ctx.db = ingest.connect(args.db)
    stack.callback(ctx.db.close)
    operator = Operator(base_url, args.db, ctx.password)
    ctx.sampler = RssSampler(ctx.odoo, ctx.front, args.hz)
    ctx.sampler.start()
    stack.callback(ctx.sampler.stop)
    warm_up(ctx, operator)
    if ctx.front:  # deploy/nginx.conf's /websocket reaches Odoo's bus (gevent port) through the same front
        results["front"]["websocket_error"] = websocket_through(ctx.port)
        say(f"websocket through nginx: {results['front']['websocket_error'] or 'open, subscribed'}")

    say(f"inbound: the customer sends a {args.video_mb} MB video; a cron worker downloads it into the filestore")
    phase, (tag, seconds) = measured(ctx, "inbound", lambda: inbound(ctx, size))
    attachment = posted_attachment(ctx, tag)
    phase.update(webhook_to_processed_s=round(seconds, 2), attachment=attachment,
                 complete=attachment["file_size"] == size)
    results["phases"]["inbound"] = phase

    say("outbound: the operator posts it in the conversation; LINE fetches it from Odoo through the front")
    phase, (fetches, seconds) = measured(ctx, "outbound", lambda: outbound(ctx, operator, attachment, size))
    phase.update(post_to_fetched_s=round(seconds, 2), line_fetches=fetches,
                 complete=any(fetch.get("size") == size and fetch.get("ok") for fetch in fetches))
    results["phases"]["outbound"] = phase
    results["video_bytes"] = size
    marks = high_water_marks(ctx.sampler.roles)
    results["high_water_marks_mib"] = {f"{ctx.sampler.roles[pid]} {pid}": mark for pid, mark in marks.items()}


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------

def worst(phase, role_prefix):
    rows = [row for row in phase.get("processes", []) if row["role"].startswith(role_prefix)
            and row["above_idle_mib"] is not None]
    return max(rows, key=lambda row: row["above_idle_mib"], default=None)


def summary_rows(results):
    rows = []
    for name, label in (("inbound", "Inbound (LINE -> Odoo: cron download)"),
                        ("outbound", "Outbound (Odoo -> LINE: HTTP worker serves the file)")):
        phase = results["phases"].get(name)
        if not phase:
            continue
        odoo = [row for row in phase["processes"] if row["role"].startswith("odoo")
                and row["above_idle_mib"] is not None]
        top = max(odoo, key=lambda row: row["above_idle_mib"], default=None)
        passed = top is not None and top["above_idle_mib"] <= PEAK_TARGET_MIB and phase.get("complete")
        rows.append({"direction": label, "phase": name, "seconds": phase["seconds"], "complete": phase.get("complete"),
                     "worst_process": top and f"{top['role']} {top['pid']}",
                     "worst_above_idle_mib": top and top["above_idle_mib"],
                     "http": worst(phase, "odoo HTTP"), "cron": worst(phase, "odoo cron"),
                     "result": "PASS" if passed else "FAIL"})
    return rows


def markdown(results):
    size = results.get("video_bytes")
    lines = [
        f"# Memory benchmark, {results['started']}",
        "",
        f"`{results['command']}` on {results['machine']}; Odoo {results['config']['workers']} HTTP workers, "
        f"{results['config']['cron_threads']} cron workers, behind {results.get('front', {}).get('front')}; "
        f"line_connector at {results['addon_version']['commit']}"
        f"{' (modified)' if results['addon_version']['modified'] else ''}; load average before "
        f"{results['load_average_before'][0]:.2f}; video {size and size // MB} MB; RSS sampled at "
        f"{results['config']['hz']:g} Hz; idle = median RSS over the {results['config']['idle_seconds']:g} s before.",
        "",
        "| Direction | Worst Odoo process, peak above idle | HTTP workers (worst) | Cron workers (worst) | Time "
        "| Target | Result |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary_rows(results):
        http, cron = row["http"], row["cron"]
        lines.append(
            f"| {row['direction']} | {row['worst_above_idle_mib']} MiB ({row['worst_process']}) | "
            f"{http and http['above_idle_mib']} MiB | {cron and cron['above_idle_mib']} MiB | {row['seconds']} s "
            f"{'' if row['complete'] else '(incomplete!)'} | <= {PEAK_TARGET_MIB} MiB | {row['result']} |")
    front = results.get("front") or {}
    if front.get("front") == "nginx":
        error = front.get("websocket_error")
        lines += ["", f"Front: nginx {front.get('version')} serving deploy/nginx.conf; Odoo's bus websocket through it "
                  f"(`/websocket`, to the gevent port): {'FAILED: ' + error if error else 'opened and subscribed'}."]
    marks = results.get("high_water_marks_mib") or {}
    for name, phase in results["phases"].items():
        lines += ["", f"## {name}: every process", "",
                  "| Process | PID | Idle | Peak | Above idle | VmHWM at the end of the run |",
                  "|---|---|---|---|---|---|"]
        for row in phase["processes"]:
            mark = marks.get(f"{row['role']} {row['pid']}")
            lines.append(f"| {row['role']} | {row['pid']} | {row['idle_mib']} MiB | {row['peak_mib']} MiB | "
                         f"{row['above_idle_mib']} MiB | {mark} MiB |")
        if details := _details(name, phase):
            lines += ["", details]
    lines += ["", "VmHWM is the kernel's own peak RSS of the process since it started (not sampled): when it "
              "equals the sampled peak, no spike fell between two samples."]
    if results.get("error"):
        lines += ["", f"The run stopped early: {results['error']}"]
    return "\n".join(lines) + "\n"


def _details(name, phase):
    if name == "inbound":
        attachment = phase.get("attachment") or {}
        return (f"Webhook to processed: {phase.get('webhook_to_processed_s')} s; the attachment holds "
                f"{attachment.get('file_size')} bytes ({attachment.get('mimetype')}).")
    fetches = ", ".join(f"{f.get('url', '').split('?')[0]} {f.get('status')} {f.get('size')} bytes"
                        for f in phase.get("line_fetches") or [])
    return f"Post to fetched by LINE: {phase.get('post_to_fetched_s')} s; LINE fetched: {fetches}."


def main(argv=None):
    args = parse_args(argv)
    results = runner.new_results("memory.py", args, sys.argv[1:] if argv is None else argv)
    run_guarded(run, Context(args), results)
    if results["phases"]:
        path = runner.write_results(results, "memory", markdown(results), "memory-latest.md")
        for row in summary_rows(results):
            say(f"{row['direction']}: worst {row['worst_process']} {row['worst_above_idle_mib']} MiB above idle "
                f"-> {row['result']}")
        say(f"results: {path} and bench/results/memory-latest.md")
    return 1 if results.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
