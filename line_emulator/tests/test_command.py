"""``python -m line_emulator``: the command starts LINE on a port, prints how to reach it, and stops."""

import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest
from linebot.v3 import messaging, oauth

from line_emulator.client import EmulatorClient

from .conftest import TIMEOUT

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Command:
    """The emulator as a child process; its output lines arrive in a queue."""

    def __init__(self, *args):
        self.process = subprocess.Popen([sys.executable, "-m", "line_emulator", *args], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern, timeout=20):
        """The first output line matching ``pattern`` (a regular expression)."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(pattern) from None
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def command():
    started = []

    def start(*args):
        started.append(Command(*args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def test_the_command_serves_a_channel_with_a_generated_secret_and_stops_on_sigterm(command):
    emulator = command("--port", "0", "--channel-id", "2000000001", "--bot-name", "Osaka Store")
    secret = emulator.wait_for(r"Channel secret \(generated\): ([0-9a-f]{32})$").group(1)
    base_url = emulator.wait_for(r"LINE platform emulator on (http://127\.0\.0\.1:\d+) ").group(1)
    with oauth.ApiClient(oauth.Configuration(host=base_url)) as client:
        token = oauth.ChannelAccessToken(client).issue_stateless_channel_token_by_client_secret(
            client_id="2000000001", client_secret=secret, _request_timeout=TIMEOUT).access_token
    with messaging.ApiClient(messaging.Configuration(host=base_url, access_token=token)) as client:
        info = messaging.MessagingApi(client).get_bot_info(_request_timeout=TIMEOUT)
    assert info.display_name == "Osaka Store"
    assert emulator.stop() == 0


def test_the_command_keeps_a_given_secret_to_itself_and_can_refuse_http_media(command):
    emulator = command("--port", "0", "--channel-id", "2000000002", "--channel-secret", "a" * 32,
                       "--https-media-only")
    lines = [emulator.wait_for(r"^Channel 2000000002 ").string,
             emulator.wait_for(r"LINE platform emulator on (\S+)")]
    assert not any("a" * 32 in line for line in (lines[0], lines[1].string))
    assert EmulatorClient(lines[1].group(1)).channel("2000000002")["allow_http_media"] is False
    assert emulator.stop() == 0
