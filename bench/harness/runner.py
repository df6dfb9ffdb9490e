"""What every benchmark command does around its phases: its record, the guard, the messages."""

import contextlib
import json
import os
import platform
import signal
import subprocess
import time
import traceback
from datetime import datetime, timezone

from .odoo_server import ROOT


def say(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def addon_version():
    """The commit the addon was measured at, and whether its files differed from it."""
    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False).stdout
    return {"commit": git("rev-parse", "--short", "HEAD").strip(),
            "modified": bool(git("status", "--porcelain", "--", "line_connector").strip())}


def new_results(script, args, argv):
    """The run's record: when, what, where, with which options, on how busy a machine."""
    results = {
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "command": f"bench/{script} " + " ".join(argv),
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "config": {k: v for k, v in vars(args).items() if k != "odoo_path"},
        "load_average_before": os.getloadavg(),
        "addon_version": addon_version(),
        "phases": {},
    }
    if results["load_average_before"][0] > 0.5:
        say(f"warning: the machine is busy already (load {results['load_average_before'][0]:.2f}): "
            "other processes will share the CPUs with the benchmark")
    return results


def run_guarded(run, ctx, results):
    """``run(ctx, stack, results)``; whatever stops it (an error, Ctrl-C, SIGTERM) is recorded, and
    everything it started (on ``stack``) is stopped."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt("terminated")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        with contextlib.ExitStack() as stack:
            run(ctx, stack, results)
    except (Exception, KeyboardInterrupt) as error:  # report what was measured, then fail
        results["error"] = f"{error.__class__.__name__}: {error}"
        results["traceback"] = traceback.format_exc()
        say(f"stopped: {results['error']}\n{results['traceback']}")
    results["load_average_after"] = os.getloadavg()


def write_results(results, name, markdown, latest):
    """``bench/results/<name>-<started>.json`` and the Markdown summary ``bench/results/<latest>``."""
    directory = ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "").replace(" ", "-")
    path = directory / f"{name}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (directory / latest).write_text(markdown)
    return path


def add_server_options(parser, db):
    """The options every benchmark's Odoo takes: its database, HTTP workers, cron workers."""
    parser.add_argument("--db", default=db, help="the database (dropped and created again)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers of each Odoo server (default 2)")
    parser.add_argument("--cron-threads", type=int, default=2,
                        help="cron workers of each Odoo server (default 2: line_connector's queues have two cron "
                             "jobs each, and Odoo runs one job in one worker at a time)")


def parse_profiled(parser, profiles, argv):
    """Parse ``argv`` with an option per size of the ``profiles`` ("full", "quick"; ``--quick`` picks the
    second), each defaulting to its profile's value, and ``--odoo-path``."""
    parser.add_argument("--quick", action="store_true", help="a short smoke run with smaller numbers")
    for name, value in profiles["full"].items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=None,
                            help=f"default {value} ({profiles['quick'][name]} with --quick)")
    parser.add_argument("--odoo-path", default=os.environ.get("ODOO_PATH", "~/.cache/odoo/18.0"))
    args = parser.parse_args(argv)
    for name, value in profiles["quick" if args.quick else "full"].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args
