"""Fixtures: one emulator per session (reset before each test), the SDK pointed at it, a webhook receiver.

The emulator runs in strict mode whenever LINE's OpenAPI files are there (test_schemas.py fails in CI,
and skips elsewhere, when they are not): each test ends by asserting that none of its calls broke them.
"""

import json
import threading
import time

import pytest
from linebot.v3 import messaging, oauth
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from line_emulator import openapi
from line_emulator.client import EmulatorClient
from line_emulator.testing import EmulatorServer

TIMEOUT = (2, 3)  # (connect, read) for every SDK call: line-bot-sdk has no default
SECRET = "0123456789abcdef0123456789abcdef"


STRICT = openapi.available()


@pytest.fixture(scope="session")
def emulator():
    with EmulatorServer(strict_openapi=STRICT) as server:
        yield server


@pytest.fixture(autouse=True)
def as_line_documents_it(emulator):
    """What the test made the emulator do (requests it accepted, answers, webhook bodies) is as LINE's
    OpenAPI files describe it."""
    seen = emulator.violations()[-1]["id"] if emulator.violations() else 0
    yield
    found = emulator.violations(since=seen)
    assert not found, "The emulator broke LINE's OpenAPI description:\n" + "\n".join(
        f"{v['kind']} {v['method']} {v['path']} -> {v['status']}: {'; '.join(v['errors'])}" for v in found)


@pytest.fixture
def emu(emulator):
    client = EmulatorClient(emulator.base_url)
    client.reset()
    yield client
    client.reset()


class Receiver:
    """A webhook endpoint that records what it gets and answers ``status`` after ``delay`` seconds."""

    def __init__(self):
        self.status, self.delay = 200, 0.0
        self.requests = []
        self.arrived = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @Request.application
    def _app(self, request):
        with self.arrived:
            self.requests.append({"headers": dict(request.headers), "raw": request.get_data(),
                                  "body": json.loads(request.get_data() or b"{}"), "at": time.monotonic()})
            self.arrived.notify_all()
        if self.delay:
            time.sleep(self.delay)
        return Response("OK", status=self.status)

    def wait_for(self, count, timeout=5.0):
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return self.requests

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.stop()


@pytest.fixture
def channel(emu, receiver):
    return emu.create_channel(channel_id="1650000001", channel_secret=SECRET, provider_id="provider-a",
                              display_name="Test Shop", webhook_url=receiver.url, redelivery_schedule=[0.2, 0.2])


@pytest.fixture
def issue_token(emulator):
    """The addon's way: a stateless token from Channel ID + secret with the SDK."""

    def issue(channel_id="1650000001", secret=SECRET):
        with oauth.ApiClient(oauth.Configuration(host=emulator.base_url)) as client:
            return oauth.ChannelAccessToken(client).issue_stateless_channel_token_by_client_secret(
                client_id=channel_id, client_secret=secret, _request_timeout=TIMEOUT).access_token

    return issue


@pytest.fixture
def api_client(emulator, channel, issue_token):
    with messaging.ApiClient(messaging.Configuration(host=emulator.base_url, access_token=issue_token())) as client:
        yield client


@pytest.fixture
def api(api_client):
    return messaging.MessagingApi(api_client)


@pytest.fixture
def lasting_api(emulator, emu, channel):
    """The SDK with a long-lived token (the console's): it survives the clock moving days ahead."""
    token = emu.issue_long_lived_token(channel["channel_id"])["access_token"]
    with messaging.ApiClient(messaging.Configuration(host=emulator.base_url, access_token=token)) as client:
        yield messaging.MessagingApi(client)


@pytest.fixture
def blob(api_client):
    return messaging.MessagingApiBlob(api_client)


@pytest.fixture
def friend(emu, channel):
    user = emu.create_user(provider_id="provider-a", display_name="Hanako", language="ja",
                           status_message="hello")
    emu.follow(channel["channel_id"], user["user_id"])
    return user
