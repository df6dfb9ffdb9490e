"""The account link on the phone page, in real headless Chromium: the customer taps the link of a
message, and LINE's dialog (opened in the LINE app, so as the phone's current user) links them."""

import time
from urllib.parse import urlencode

import requests
import websocket
from linebot.v3 import messaging

from line_emulator import const

from .cdp import Browser
from .conftest import TIMEOUT
from .test_phone import become_a_friend, browser, pytestmark  # noqa: F401 (the fixture and the skip)


def new_tab(page, known, timeout=10):
    """The tab a tap on a link opened (LINE opens links in its own browser, over the chat)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tabs = [t for t in requests.get(f"http://127.0.0.1:{page.port}/json/list", timeout=5).json()
                if t["type"] == "page" and t["id"] not in known]
        if tabs:
            tab = Browser.__new__(Browser)
            tab.ws = websocket.create_connection(tabs[0]["webSocketDebuggerUrl"], timeout=timeout,
                                                 suppress_origin=True)
            tab.next_id = 0
            return tab
        time.sleep(0.1)
    raise TimeoutError("no tab opened")


def test_the_customer_taps_the_link_and_line_links_them(browser, emu, channel, receiver, api, emulator):  # noqa: F811
    become_a_friend(browser, "Phone Hanako")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Phone Hanako"]
    token = api.issue_link_token(user["user_id"], _request_timeout=TIMEOUT).link_token
    # What a site sends its customer after they logged in: LINE's dialog, with its own nonce.
    query = urlencode({"linkToken": token, "nonce": "nonce-of-the-site-0001"})
    dialog = f"{emulator.base_url}{const.ACCOUNT_LINK_PATH}?{query}"
    api.push_message(messaging.PushMessageRequest(to=user["user_id"], messages=[
        messaging.TextMessage(text=f"Link your account: {dialog}")]), _request_timeout=TIMEOUT)
    browser.wait_for("document.querySelector('.msg.bot a[href*=\"accountLink\"]') !== null")
    known = {t["id"] for t in requests.get(f"http://127.0.0.1:{browser.port}/json/list", timeout=5).json()}
    browser.send("Runtime.evaluate", expression="document.querySelector('.msg.bot a[href*=\"accountLink\"]').click()",
                 userGesture=True)
    tab = new_tab(browser, known)
    try:
        assert tab.wait_for("document.querySelector('.account-link')?.dataset.result") == "ok"
        event = [e for r in receiver.wait_for(2) for e in r["body"]["events"] if e["type"] == "accountLink"][0]
        assert event["source"]["userId"] == user["user_id"]
        assert event["link"] == {"result": "ok", "nonce": "nonce-of-the-site-0001"}
        tab.evaluate("document.getElementById('back-to-chat').click()")
        assert tab.wait_for("[...document.querySelectorAll('.msg.system')].some((m) => "
                            "m.textContent === 'linked your account')")
    finally:
        tab.ws.close()
