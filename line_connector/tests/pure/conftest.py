"""Fixtures for the adapter's pure tests: no Odoo, real HTTP servers that play LINE."""

import importlib.util
import json
import pathlib
import sys
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ADDON = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ADDON.parent))  # the repository root, for line_emulator


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def line_api():
    """The adapter, loaded from its file: it must not need Odoo."""
    return _load("line_connector_tools_line_api", ADDON / "tools" / "line_api.py")


@pytest.fixture(scope="session")
def emulator():
    from line_emulator import openapi
    from line_emulator.testing import EmulatorServer

    # Where LINE's OpenAPI files are, every call the adapter makes is checked against them.
    with EmulatorServer(strict_openapi=openapi.available()) as server:
        yield server


@pytest.fixture(autouse=True)
def _follows_lines_openapi(request):
    """No test may leave a call the adapter made, or an answer it got, outside LINE's spec."""
    if "emulator" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("emulator")
    before = server.violations()
    yield
    found = server.violations()[len(before):]
    assert not found, f"outside LINE's OpenAPI spec: {found}"


@pytest.fixture
def emu(emulator):
    from line_emulator.client import EmulatorClient

    client = EmulatorClient(emulator.base_url)
    client.reset()
    return client


class ScriptedLine:
    """A tiny HTTP server that answers every request with the status, headers and body it is told."""

    def __init__(self):
        self.status, self.body, self.headers = 200, {}, {}
        self.token_expires_in = 900
        self.requests = []
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @Request.application
    def _app(self, request):
        self.requests.append((request.method, request.path, dict(request.headers), request.get_data()))
        if request.path == "/oauth2/v3/token":
            token = f"scripted-{len(self.token_requests())}"
            return Response(json.dumps({"access_token": token, "expires_in": self.token_expires_in,
                                        "token_type": "Bearer"}), content_type="application/json")
        return Response(json.dumps(self.body), status=self.status, headers=self.headers,
                        content_type="application/json")

    def answer(self, status, body=None, headers=None):
        self.status, self.body, self.headers = status, body or {}, headers or {}

    def token_requests(self):
        return [r for r in self.requests if r[1] == "/oauth2/v3/token"]

    def api_requests(self):
        """The other requests, as (path, bearer token)."""
        return [(r[1], r[2].get("Authorization", "")[len("Bearer "):]) for r in self.requests
                if r[1] != "/oauth2/v3/token"]

    def close(self):
        """Stop listening: connections are refused from now on."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    server = ScriptedLine()
    server.thread.start()
    yield server
    server.close()
