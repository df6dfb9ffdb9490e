"""The README's screenshots, made from the demo: Odoo and the LINE platform emulator started here,
a few customers writing from the emulator, headless Chromium driven over the DevTools protocol.

Usage: .venv/bin/python scripts/screenshots.py [--db DB] [--odoo-port 8560] [--emulator-port 8561]
                                               [--out docs/screenshots]

It creates its demo database afresh (the emulator keeps its customers in memory only: the same
customers on both sides, and the same pictures at every run), with Japanese installed, and
saves, in English and in Japanese: Discuss with a LINE conversation, LINE Conversations, the LINE
channel after its connection check; and the emulator's phone page. Run as root on Debian/Ubuntu it
installs the CJK fonts Chromium needs to draw Japanese (fonts-noto-cjk). Images are reduced to a
palette of 256 colours (small files for the repository).
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from line_emulator.client import EmulatorClient  # noqa: E402

ODOO_PATH = pathlib.Path(os.environ.get("ODOO_PATH", pathlib.Path.home() / ".cache" / "odoo" / "18.0"))
CHANNEL_NUMBER = "2000000001"
CHANNEL_SECRET = "demo0channel0secret0000000000001"
WEBHOOK_TOKEN = "demo-webhook-osaka"
WIDTH, HEIGHT = 1280, 760
CUSTOMERS = [
    # (name, LINE language, what they write, then what they write after the shop's answer)
    ("山田 花子", "ja", "こんにちは！明日の14時に2名で予約できますか？", "ありがとうございます！よろしくお願いします"),
    ("Somchai P.", "th", "Hello, do you ship to Bangkok?", None),
    ("陳 美玲", "zh-TW", "請問週末有營業嗎？", None),
]
ANSWER = "山田様、ご連絡ありがとうございます。明日14時、2名様でご予約を承りました。"


def say(text):
    print(f"==> {text}", file=sys.stderr, flush=True)


def install_fonts():
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    if subprocess.run(["dpkg", "-s", "fonts-noto-cjk"], capture_output=True).returncode == 0:
        return
    say("Installing fonts-noto-cjk (Chromium draws Japanese with it)")
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "fonts-noto-cjk"], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), capture_output=True)


def odoo_command(db, *args):
    return [sys.executable, str(ODOO_PATH / "odoo-bin"),
            f"--addons-path={ODOO_PATH}/addons,{ODOO_PATH}/odoo/addons,{ROOT}", "-d", db, *args]


def database_exists(db):
    out = subprocess.run(["psql", "-d", "postgres", "-Atc", f"select 1 from pg_database where datname='{db}'"],
                         capture_output=True, text=True)
    return out.stdout.strip() == "1"


def prepare_database(db):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if database_exists(db):
        subprocess.run(["dropdb", db], check=True)
    say(f"Creating the demo database {db} (with demo data and Japanese)")
    subprocess.run(odoo_command(db, "-i", "line_connector,line_connector_crm", "--load-language=en_US,ja_JP",
                                "--stop-after-init", "--log-level=warn"), check=True, env=env)


@contextlib.contextmanager
def running(command, env=None):
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(check, timeout=60, what="it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            value = check()
            if value:
                return value
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout} s for {what}")


class Odoo:
    """JSON-RPC as the demo's admin."""

    def __init__(self, url, db):
        self.url, self.db, self.session = url, db, requests.Session()
        self.call_json("/web/session/authenticate", db=db, login="admin", password="admin")

    def call_json(self, path, **params):
        answer = self.session.post(self.url + path, json={"jsonrpc": "2.0", "method": "call", "params": params},
                                   timeout=60).json()
        if "error" in answer:
            raise RuntimeError(json.dumps(answer["error"])[:2000])
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self.call_json(f"/web/dataset/call_kw/{model}/{method}", model=model, method=method,
                              args=list(args), kwargs=kwargs)

    @property
    def session_id(self):
        return self.session.cookies.get("session_id")


class Chromium:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="line-screenshots-")
        self.process = subprocess.Popen(
            [shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "--lang=en-US", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = pathlib.Path(self.profile) / "DevToolsActivePort"
        port = wait_until(lambda: port_file.exists() and port_file.read_text().split()[0], 30, "Chromium")
        page = wait_until(lambda: [t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                                   if t["type"] == "page"], 30, "a Chromium page")[0]
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)

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
        return None if "exceptionDetails" in result else result["result"].get("value")

    def open(self, url, selector, settle=1.5):
        self.send("Page.navigate", url=url)
        time.sleep(0.5)
        deadline = time.monotonic() + 120  # the first page of a new database builds its assets
        while not self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
            if time.monotonic() > deadline:
                failed = pathlib.Path(tempfile.gettempdir()) / "screenshots_failed.png"
                self.shoot(failed)
                raise TimeoutError(f"{url}: no {selector} (the page as it was: {failed})")
            time.sleep(0.2)
        time.sleep(settle)  # pictures, fonts, the last renders

    def shoot(self, path):
        # Pop-ups of the moment ("invited to...", new-message toasts, chat bubbles) are not the screen.
        self.evaluate("""document.head.insertAdjacentHTML('beforeend',
            '<style>.o_notification_manager, .o-mail-ChatHub { display: none !important; }</style>')""")
        time.sleep(0.2)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        import base64

        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, optimize=True)
        say(f"{path} ({path.stat().st_size // 1024} KB)")

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def seed(odoo, emu):
    """A few customers write; the shop answers one of them, who thanks with a sticker."""
    [channel] = odoo.call("line.channel", "search_read", [("channel_number", "=", CHANNEL_NUMBER)], ["id"])
    base = emu.base_url
    odoo.call("line.channel", "write", [channel["id"]], {"api_url": base, "data_url": base})
    odoo.call("line.channel", "action_check_connection", [channel["id"]])
    users = []
    for name, language, first, _later in CUSTOMERS:
        user = emu.create_user(provider_id="demo-provider", display_name=name, language=language)
        emu.follow(CHANNEL_NUMBER, user["user_id"])
        emu.send_text(CHANNEL_NUMBER, user["user_id"], first)
        users.append(user)
    wait_until(lambda: odoo.call("discuss.channel", "search_count", [("channel_type", "=", "line")]) == len(users),
               90, "the conversations in Odoo")
    [hanako] = odoo.call("discuss.channel", "search", [("channel_type", "=", "line"), ("name", "=", CUSTOMERS[0][0])])
    odoo.call("discuss.channel", "message_post", [hanako], body=ANSWER, message_type="comment",
              subtype_xmlid="mail.mt_comment")
    wait_until(lambda: odoo.call("line.message", "search_count", [("state", "=", "sent")]), 90, "the answer at LINE")
    emu.send_text(CHANNEL_NUMBER, users[0]["user_id"], CUSTOMERS[0][3])
    emu.send_sticker(CHANNEL_NUMBER, users[0]["user_id"], package_id="446", sticker_id="1989", keywords=["thanks"])
    wait_until(lambda: odoo.call("mail.message", "search_count", [("model", "=", "discuss.channel"),
                                                                  ("res_id", "=", hanako)]) >= 4, 90, "the thanks")
    return channel["id"]


def shoot_all(odoo, emu, browser, odoo_url, channel_id, out):
    [hanako] = odoo.call("discuss.channel", "search_read", [("name", "=", CUSTOMERS[0][0])], ["id", "line_identity_id"])
    [user] = [u for u in emu.users(channel_id=CHANNEL_NUMBER) if u["display_name"] == CUSTOMERS[0][0]]
    browser.open(f"{emu.base_url}/?channel={CHANNEL_NUMBER}&user={user['user_id']}", "#messages > *")
    browser.shoot(out / "phone.png")
    [admin] = odoo.call("res.users", "search", [("login", "=", "admin")])
    for lang, suffix in (("en_US", "en"), ("ja_JP", "ja")):
        odoo.call("res.users", "write", [admin], {"lang": lang})
        odoo = Odoo(odoo_url, odoo.db)  # a session keeps the language it was opened in
        browser.send("Network.setCookie", name="session_id", value=odoo.session_id, url=odoo_url)
        browser.open(f"{odoo_url}/odoo/discuss?active_id=discuss.channel_{hanako['id']}", ".o-mail-Message")
        browser.shoot(out / f"discuss_{suffix}.png")
        browser.open(f"{odoo_url}/odoo/action-line_connector.discuss_channel_action_line?view_type=list",
                     ".o_list_renderer .o_data_row")
        browser.shoot(out / f"conversations_{suffix}.png")
        browser.open(f"{odoo_url}/odoo/action-line_connector.line_channel_action/{channel_id}", ".o_form_view")
        # What the check found, at the top of the screen (the form's status page).
        browser.evaluate("document.querySelector('.o_notebook')?.scrollIntoView()")
        time.sleep(0.5)
        browser.shoot(out / f"channel_check_{suffix}.png")
    odoo.call("res.users", "write", [admin], {"lang": "en_US"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="line_connector_screenshots", help="dropped and created again")
    parser.add_argument("--odoo-port", type=int, default=8560)
    parser.add_argument("--emulator-port", type=int, default=8561)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out = args.out.resolve()
    install_fonts()
    prepare_database(args.db)
    args.out.mkdir(parents=True, exist_ok=True)
    odoo_url = f"http://127.0.0.1:{args.odoo_port}"
    emulator = [sys.executable, "-m", "line_emulator", "--host", "127.0.0.1", "--port", str(args.emulator_port),
                "--channel-id", CHANNEL_NUMBER, "--channel-secret", CHANNEL_SECRET, "--provider-id", "demo-provider",
                "--bot-name", "Osaka Store", "--webhook-url", f"{odoo_url}/line/webhook/{WEBHOOK_TOKEN}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with running(emulator, env=env, ), running(odoo_command(
            args.db, "--http-port", str(args.odoo_port), "--http-interface", "127.0.0.1",
            "--db-filter", f"^{args.db}$", "--log-level=warn"), env=env):
        say(f"Odoo on {odoo_url}, the emulator on port {args.emulator_port}")
        wait_until(lambda: requests.get(f"{odoo_url}/web/health", timeout=5).ok, 120, "Odoo")
        emu = EmulatorClient(f"http://127.0.0.1:{args.emulator_port}")
        wait_until(lambda: emu.channels() is not None, 30, "the emulator")
        odoo = Odoo(odoo_url, args.db)
        channel_id = seed(odoo, emu)
        browser = Chromium()
        try:
            shoot_all(odoo, emu, browser, odoo_url, channel_id, args.out)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
