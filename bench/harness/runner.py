"""What every benchmark command does around its phases: its record, the guard, the messages."""

import contextlib
import os
import platform
import signal
import subprocess
import time
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
        say(f"stopped: {results['error']}")
    results["load_average_after"] = os.getloadavg()
