"""nginx in front of an Odoo server, as in production (deploy/nginx.conf itself), for one benchmark run.

An unprivileged configuration in a folder of its own (``nginx -p <dir> -c nginx.conf``): no daemon,
its pid file, logs and temporary files in that folder, one free loopback port, plain HTTP (TLS
is not what is measured). ``stop()`` ends it.
"""

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from .odoo_server import ROOT, free_port, wait_healthy

NGINX = "nginx"
DEPLOY_CONFIG = ROOT / "deploy" / "nginx.conf"
# The benchmark's front is deploy/nginx.conf itself (the site production runs), made unprivileged:
# inside the main context below (no daemon, its own pid file, logs and temporary folders), the
# HTTP -> HTTPS redirect dropped, plain HTTP on one free loopback port instead of 80/443 and TLS
# (TLS is not what is measured), the run's Odoo ports instead of 8069/8072. Everything else (the
# upstream's retries, timeouts, headers, locations, backlog) is production's, character for character.
MAIN = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{site}
}}
"""


def site_config(port, http_port, gevent_port, deploy=None):
    """deploy/nginx.conf as the benchmark serves it (see MAIN above)."""
    text = (deploy or DEPLOY_CONFIG).read_text()
    text = re.sub(r"server \{[^{}]*return 301[^{}]*\}\n", "", text)  # the HTTP -> HTTPS redirect
    lines, listened = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("listen "):
            backlog = re.search(r"backlog=\d+", stripped)
            if not listened:
                lines.append(f"    listen 127.0.0.1:{port}{' ' + backlog.group() if backlog else ''};")
            listened = True
        elif not stripped.startswith("ssl_"):
            lines.append(line)
    site = "\n".join(lines)
    if not listened or "127.0.0.1:8069" not in site or "127.0.0.1:8072" not in site:
        raise RuntimeError(f"{DEPLOY_CONFIG} no longer has the shape the benchmark adapts (listen, 8069, 8072)")
    site = site.replace("127.0.0.1:8069", f"127.0.0.1:{http_port}")
    return site.replace("127.0.0.1:8072", f"127.0.0.1:{gevent_port}")


def available():
    return shutil.which(NGINX) or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")


def version():
    binary = available()
    if not binary:
        return None
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).strip().removeprefix("nginx version: ")


class NginxFront:
    """One nginx process proxying to one OdooServer's HTTP and gevent ports."""

    def __init__(self, odoo, directory):
        self.odoo = odoo
        self.dir = Path(directory)
        self.port = free_port()
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=10):
        binary = available()
        if not binary:
            raise RuntimeError("nginx is not installed (./dev setup installs it as root), or run with --direct")
        self.dir.mkdir(parents=True, exist_ok=True)
        # Run as root, nginx's workers drop to 'nobody': they must be able to reach the folder (the
        # run's log folders above it are mkdtemp's 0700: traversable now, still not listable) and use it.
        if os.geteuid() == 0:
            for parent in self.dir.parents:
                mode = parent.stat().st_mode
                if mode & 0o001 or parent.stat().st_uid != 0:
                    break
                os.chmod(parent, mode | 0o111)
        os.chmod(self.dir, 0o755)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / name).mkdir(exist_ok=True)
            os.chmod(self.dir / name, 0o777)
        site = site_config(self.port, self.odoo.http_port, self.odoo.gevent_port)
        (self.dir / "nginx.conf").write_text(MAIN.format(dir=self.dir, site=site))
        self.process = subprocess.Popen([binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        wait_healthy(self.process, self.base_url, timeout, "nginx", self.dir / "error.log")
        return self

    def stop(self):
        """QUIT (finish what is in flight), then KILL the process group if it is still there."""
        if not self.process:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(5)


def websocket_check(port):
    """Open Odoo's bus websocket through the front (``/websocket``, to the gevent port) and subscribe, as
    the web client does: None when it works, else what failed."""
    import websocket  # websocket-client, which Odoo's own browser tests use

    try:
        connection = websocket.create_connection(f"ws://127.0.0.1:{port}/websocket?version=18.0", timeout=10,
                                                 origin=f"http://127.0.0.1:{port}")
    except (OSError, websocket.WebSocketException) as error:
        return f"{error.__class__.__name__}: {str(error).split(' -+-+- ')[0]}"  # without the answer's body
    try:
        if connection.status != 101:
            return f"answered {connection.status}"
        connection.send('{"event_name": "subscribe", "data": {"channels": [], "last": 0}}')
        return None
    except (OSError, websocket.WebSocketException) as error:
        return f"{error.__class__.__name__}: {error}"
    finally:
        connection.close()


def add_front_option(parser):
    parser.add_argument("--direct", action="store_true",
                        help="send to Odoo's HTTP port directly, without nginx in front (default: through nginx)")


def front_for(stack, odoo, args, directory):
    """The port the benchmark sends to: nginx's in front of ``odoo`` (started here, stopped with
    ``stack``), or Odoo's own with ``--direct``; and the run's record of it."""
    if args.direct:
        return odoo.http_port, {"front": "direct", "port": odoo.http_port}
    front = NginxFront(odoo, directory).start()
    stack.callback(front.stop)
    return front.port, {"front": "nginx", "version": version(), "port": front.port, "dir": str(front.dir),
                        "upstream": odoo.http_port}
