"""Odoo as the benchmark runs it: a fresh database, a set-up script, a prefork server."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[2]
BENCH_ADDONS = ROOT / "bench" / "addons"


def free_port():
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(process, base_url, timeout, name, log_path):
    """Until ``base_url``'s /web/health answers 200 (Odoo's, or a proxy's in front of it); fail
    when ``process`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}); see {log_path}")
        try:
            if requests.get(base_url + "/web/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not answer within {timeout} s; see {log_path}")


def _pg_options():
    """The PostgreSQL connection, as ``./dev`` passes it: from the PG* variables, if set."""
    names = {"PGHOST": "--db_host", "PGPORT": "--db_port", "PGUSER": "--db_user", "PGPASSWORD": "--db_password"}
    return [f"{option}={os.environ[var]}" for var, option in names.items() if os.environ.get(var)]


class OdooServer:
    """One Odoo source tree, one database, one server process (and its workers)."""

    def __init__(self, odoo_path, db, log_dir, python):
        self.odoo_path = Path(odoo_path).expanduser()
        self.db = db
        self.log_dir = Path(log_dir)
        self.python = python
        self.process = None
        self.http_port, self.gevent_port = free_port(), free_port()  # web.base.url needs it before start

    @property
    def log_path(self):
        return self.log_dir / "odoo.log"

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def command(self, *args, subcommand=()):
        addons = [self.odoo_path / "addons", self.odoo_path / "odoo" / "addons", ROOT, BENCH_ADDONS]
        return [self.python, str(self.odoo_path / "odoo-bin"), *subcommand,
                "--addons-path=" + ",".join(map(str, addons)), *_pg_options(), "-d", self.db, *args]

    def _run(self, args, timeout, stdin_text=None, subcommand=()):
        log_path = self.log_dir / "setup.log"
        with open(log_path, "a") as log:
            result = subprocess.run(self.command(*args, subcommand=subcommand), input=stdin_text,
                                    stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout, check=False)
        if result.returncode:
            raise RuntimeError(f"odoo-bin {' '.join(subcommand) or 'server'} failed ({result.returncode}); "
                               f"see {log_path}")
        return result.stdout

    def create_database(self, modules, timeout):
        """Drop the benchmark database, then create it with ``modules`` installed and no demo data."""
        subprocess.run(["dropdb", "--if-exists", self.db], check=True, capture_output=True, timeout=60)
        self._run(["-i", ",".join(modules), "--without-demo=all", "--stop-after-init", "--no-http",
                   "--log-level=warn"], timeout)

    def shell(self, script, timeout):
        """Run ``script`` in ``odoo-bin shell`` (committed by the script itself); return its output."""
        return self._run(["--no-http", "--log-level=warn"], timeout, stdin_text=script, subcommand=("shell",))

    def start(self, workers, cron_threads, proxy_mode=False):
        """``proxy_mode``: Odoo trusts the X-Forwarded-* headers of a reverse proxy in front (harness.nginx)."""
        args = ["--http-interface=127.0.0.1", f"--http-port={self.http_port}", f"--gevent-port={self.gevent_port}",
                f"--workers={workers}", f"--max-cron-threads={cron_threads}", f"--db-filter=^{self.db}$",
                "--log-level=info", f"--logfile={self.log_path}", "--limit-time-real=600"]
        if proxy_mode:
            args.append("--proxy-mode")
        # A session of its own: stop() ends the master and every worker it forked, and nothing else.
        self.process = subprocess.Popen(self.command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)

    def wait_ready(self, timeout):
        wait_healthy(self.process, self.base_url, timeout, "Odoo", self.log_path)

    def cron_worker_pids(self):
        """The PIDs of the prefork server's cron workers, oldest first.

        Odoo names its workers' processes (``odoo: WorkerCron <pid> <db>``) only when setproctitle
        is installed; what always tells a cron worker from an HTTP worker is that it lowered its
        own priority (``WorkerCron.start``: ``os.nice(10)``). The long-polling process is a
        ``gevent`` subcommand, not a forked worker.
        """
        if not self.process or self.process.poll() is not None:
            return []
        master = psutil.Process(self.process.pid)
        workers = []
        for child in master.children():
            try:
                title = " ".join(child.cmdline())
                if "WorkerCron" in title or ("gevent" not in child.cmdline() and child.nice() > master.nice()):
                    workers.append((child.create_time(), child.pid))
            except psutil.NoSuchProcess:
                continue
        return [pid for _created, pid in sorted(workers)]

    def stop(self):
        """End the server's process group (the master and its workers): TERM, then KILL."""
        if not self.process:
            return
        pgid = self.process.pid  # start_new_session: the master leads its own process group
        if self.process.poll() is None:
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the group, workers included
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(5)
