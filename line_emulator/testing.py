"""Run the emulator in a background thread, for tests and scripts."""

import os
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import EmulatorApp

STRICT_ENV = "LINE_EMULATOR_STRICT_OPENAPI"


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as LINE's API serves it: a client's calls in a row reuse one
    connection (an idle one is closed after ``timeout`` seconds)."""

    protocol_version = "HTTP/1.1"
    timeout = 30


class _QuietHandler(_Handler):
    def log_request(self, *args, **kwargs):
        pass


class EmulatorServer:
    """The LINE platform emulator on a free port (``port=0``), in a background thread.

    ``base_url`` is ``http://HOST:PORT``; ``state`` gives in-process access to the emulator's world;
    ``app`` is the WSGI application. Use as a context manager, or ``start()`` / ``stop()``.
    ``limits`` caps what it keeps (``const.DEFAULT_LIMITS``: ``logs``, ``records``, ``chat``).
    ``strict_openapi=True`` checks every LINE API call and webhook body against LINE's OpenAPI files
    (``openapi_dir``, else ``$LINE_OPENAPI_DIR``, else ``shared/line-openapi`` beside the repository)
    and records what breaks them: ``violations()`` (also ``GET /_emulator/openapi``). Left unset, it
    follows the environment variable ``LINE_EMULATOR_STRICT_OPENAPI`` (``1``: on).
    """

    def __init__(self, host="127.0.0.1", port=0, quiet=True, limits=None, strict_openapi=None, openapi_dir=None):
        self.host = host
        if strict_openapi is None:
            strict_openapi = os.environ.get(STRICT_ENV, "") not in ("", "0")
        self.app = EmulatorApp(limits=limits, strict_openapi=strict_openapi, openapi_dir=openapi_dir)
        self.server = make_server(host, port, self.app, threaded=True,
                                  request_handler=_QuietHandler if quiet else _Handler)
        self.port = self.server.server_port
        self.base_url = f"http://{host}:{self.port}"
        self.app.state.base_url = self.base_url
        self.thread = None

    @property
    def state(self):
        return self.app.state

    def violations(self, since=0):
        """Strict mode's findings (after the one with id ``since``): ``[{id, kind, endpoint, method, path,
        status, errors}]``; always empty when strict mode is off."""
        return self.app.strict.since(since) if self.app.strict else []

    def start(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                           name="line-emulator", daemon=True)
            self.thread.start()
        return self

    def stop(self):
        self.app.stop()
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join(timeout=5)
            self.thread = None
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
