"""Just enough of the Chrome DevTools Protocol to drive headless Chromium from a test."""

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time

import requests
import websocket

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0")


class Browser:
    """One headless Chromium with one page, driven through ``evaluate``."""

    def __init__(self, url, timeout=20):
        self.profile = tempfile.mkdtemp(prefix="line-emulator-chromium-")
        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", url],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = self._devtools_port(timeout)
        deadline = time.monotonic() + timeout
        while True:
            pages = [t for t in requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=5).json()
                     if t["type"] == "page"]
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self.next_id = 0

    def _devtools_port(self, timeout):
        found = {}

        def read():
            for line in self.process.stderr:
                match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
                if match and "port" not in found:
                    found["port"] = int(match.group(1))
                    ready.set()
            ready.set()

        ready = threading.Event()
        threading.Thread(target=read, daemon=True).start()
        ready.wait(timeout)
        if "port" not in found:
            self.close()
            raise RuntimeError("Chromium did not start its DevTools server")
        return found["port"]

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression, timeout=10):
        """The first truthy value of ``expression``, evaluated every 0.1 s. While the page is still
        loading the expression may throw (no body yet, a context replaced): that counts as not yet."""
        deadline = time.monotonic() + timeout
        error = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as exc:
                value, error = None, exc
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"{expression} (last error: {error})" if error else expression)

    def set_files(self, selector, *paths):
        """Choose files in the ``<input type=file>`` at ``selector``, as a person does in the file dialog
        (Chromium then fires the input's change event)."""
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise RuntimeError(f"No element {selector}")
        self.send("DOM.setFileInputFiles", nodeId=node, files=[str(p) for p in paths])

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
