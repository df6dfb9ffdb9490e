"""The kernel's TCP counters (machine-wide): did the listen queue overflow during a phase?"""

from pathlib import Path

COUNTERS = ("ListenOverflows", "ListenDrops", "TCPAbortOnData", "TCPSynRetrans")


def read():
    lines = Path("/proc/net/netstat").read_text().splitlines()
    values = {}
    for header, row in zip(lines[::2], lines[1::2], strict=False):
        names, numbers = header.split()[1:], row.split()[1:]
        if header.startswith("TcpExt:"):
            values.update(zip(names, map(int, numbers), strict=False))
    return {name: values.get(name, 0) for name in COUNTERS}


def delta(before, after):
    return {name: after[name] - before[name] for name in COUNTERS}
