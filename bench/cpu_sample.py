#!/usr/bin/env python3
"""Where a benchmark's CPU goes: samples every process's CPU time, by kind, while it runs.

    python3 bench/cpu_sample.py record OUT.jsonl        # every 0.5 s until stopped (Ctrl-C, kill)
    python3 bench/cpu_sample.py report OUT.jsonl HH:MM:SS HH:MM:SS [COUNT]

``report`` prints the CPU seconds each kind of process used between two times of the day (a
benchmark's log says when each phase started and ended), or milliseconds per item with COUNT.
Kinds: ``odoo:web`` (Odoo's HTTP workers and master), ``odoo:cron`` (its cron workers, which
run at a lower priority: Odoo calls ``os.nice(10)`` in them), ``postgres``, ``nginx``,
``bench`` (the benchmark itself, the LINE platform emulator included) and ``other``.
"""
# ruff: noqa: T201 (a command that prints its results)
import json
import os
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _kind(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            command = file.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return None
    name, rest = stat.split("(", 1)[1].rsplit(")", 1)
    fields = rest.split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    if name.startswith("postgres"):
        return "postgres", cpu
    if "odoo-bin" in command:
        return ("odoo:cron" if int(fields[16]) > 0 else "odoo:web"), cpu  # its nice value
    if "nginx" in command:
        return "nginx", cpu
    if "bench/" in command:
        return "bench", cpu
    return "other", cpu


def record(path):
    with open(path, "w") as out:
        while True:
            sample = {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                found = _kind(pid)
                if found:
                    sample[f"{found[0]}|{pid}"] = found[1]  # by process: processes come and go
            out.write(json.dumps({"t": time.time(), "cpu": sample}) + "\n")
            out.flush()
            time.sleep(0.5)


def report(path, start, end, count=None):
    with open(path) as file:
        samples = [json.loads(line) for line in file]
    day = time.strftime("%Y-%m-%d", time.localtime(samples[0]["t"]))

    def nearest(clock):
        moment = time.mktime(time.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S"))
        return min(samples, key=lambda sample: abs(sample["t"] - moment))

    first, last = nearest(start), nearest(end)
    used = {}
    for key, seconds in last["cpu"].items():
        kind = key.split("|")[0]
        used[kind] = used.get(kind, 0) + seconds - first["cpu"].get(key, 0)
    unit, scale = ("ms per item", 1000 / int(count)) if count else ("CPU s", 1)
    print(f"{last['t'] - first['t']:.1f} s: " + ", ".join(
        f"{kind} {value * scale:.1f}" for kind, value in sorted(used.items()) if value > 0.01)
        + f" ({unit}); all {sum(used.values()) * scale:.1f}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "report":
        report(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
