"""nginx in front of an Odoo server, as in production (deploy/nginx.conf), for one benchmark run.

An unprivileged configuration in a folder of its own (``nginx -p <dir> -c nginx.conf``): no daemon,
its pid file, logs and temporary files in that folder, one free loopback port, plain HTTP (TLS
is not what is measured). ``stop()`` ends it.
"""

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .odoo_server import free_port, wait_healthy

NGINX = "nginx"
# What the benchmark's front keeps of deploy/nginx.conf: the same proxy headers, timeouts and
# buffering for Odoo's HTTP port, /websocket to its gevent port; a listen backlog of 511 (Linux's
# default somaxconn before 5.4), so that bursts queue in nginx rather than in Odoo's 8 x workers.
CONFIG = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64m;
    proxy_connect_timeout 10s;
    proxy_read_timeout 720s;
    proxy_send_timeout 720s;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream odoo {{ server 127.0.0.1:{http_port}; }}
    upstream odoo_gevent {{ server 127.0.0.1:{gevent_port}; }}
    server {{
        listen 127.0.0.1:{port} backlog=511;
        proxy_set_header Host $host:$server_port;
        proxy_set_header X-Forwarded-Host $host:$server_port;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
        location /websocket {{
            proxy_pass http://odoo_gevent;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }}
        location / {{
            proxy_pass http://odoo;
            proxy_redirect off;
        }}
    }}
}}
"""


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
        (self.dir / "nginx.conf").write_text(CONFIG.format(
            dir=self.dir, port=self.port, http_port=self.odoo.http_port, gevent_port=self.odoo.gevent_port))
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
