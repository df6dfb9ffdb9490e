import json
import os
import resource
import time
import unittest

import requests
import websocket

from line_emulator.tests.cdp import CHROMIUM, Browser

from odoo.tests import new_test_user, tagged

from .common import LineConversationCase


def open_phone(url):
    """The emulator's phone page in headless Chromium. Odoo's server caps its own address space
    (limit_memory_hard), which Chromium cannot start under: lifted for the child, as Odoo's own
    test browser does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        return Browser(url, timeout=60)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def attach_tab(browser, known, timeout=20):
    """The page a click opened in a new tab (a link of a LINE message opens in LINE's own browser)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pages = [t for t in requests.get(f"http://127.0.0.1:{browser.port}/json/list", timeout=5).json()
                 if t["type"] == "page" and t["id"] not in known]
        if pages:
            tab = Browser.__new__(Browser)
            tab.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout,
                                                 suppress_origin=True)
            tab.next_id = 0
            return tab
        time.sleep(0.1)
    raise TimeoutError("no new tab")


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing")
@tagged("post_install", "-at_install")
class TestAccountLinkTour(LineConversationCase):
    """The whole account link in browsers: the operator's /linkaccount in Discuss (a tour), the customer's
    phone page (the emulator's origin), the link in the message, the portal's login, LINE's dialog, and
    the conversation showing who the customer is (a tour)."""

    first_message = "I have an account on your site"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.access_url = cls.emulator.base_url
        cls.portal = new_test_user(cls.env, "hanako_portal", groups="base.group_portal",
                                   name="Hanako Yamada (portal)")

    def test_phone_link_portal_login_line_dialog_linked(self):
        conversation_url = f"/odoo/discuss?active_id=discuss.channel_{self.conversation.id}"
        self.start_tour(conversation_url, "line_connector_account_link_send", login="line_operator")
        self.env["line.message"]._cron_send()

        phone = open_phone(f"{self.emulator.base_url}/?channel={self.channel_id}&user={self.customer['user_id']}")
        try:
            phone.wait_for("document.body.dataset.ready === '1'")
            link = "document.querySelector('.msg.bot a[href*=\"/line/account-link/\"]')"
            phone.wait_for(f"{link} !== null")
            known = {t["id"] for t in requests.get(f"http://127.0.0.1:{phone.port}/json/list", timeout=5).json()}
            # The customer taps the link (a person's gesture: a new tab is allowed to open).
            phone.send("Runtime.evaluate", expression=f"{link}.click()", userGesture=True)
            tab = attach_tab(phone, known)
            # Not logged in: the portal's login page, which comes back to the link.
            tab.wait_for("location.pathname === '/web/login' && !!document.querySelector('input[name=login]')", 30)
            tab.evaluate("document.querySelector('input[name=login]').value = 'hanako_portal';"
                         "document.querySelector('input[name=password]').value = 'hanako_portal';"
                         "document.querySelector('.oe_login_form button[type=submit]').click()")
            # LINE's dialog (the emulator's), opened by the phone's LINE user: LINE links and tells Odoo.
            result = tab.wait_for("document.querySelector('.account-link')?.dataset.result", 30)
            self.assertEqual(result, "ok", tab.evaluate("document.body.innerText"))
            self.env["line.event"]._cron_process_events()
            self.env["line.message"]._cron_send()
            # Back in the chat, the confirmation.
            tab.evaluate("document.getElementById('back-to-chat').click()")
            tab.wait_for("[...document.querySelectorAll('.msg.bot')].some((m) => "
                         f"m.textContent.includes({json.dumps('now linked')}))", 15)
            tab.ws.close()
        finally:
            phone.close()
        self.assertEqual(self.conversation.line_identity_id.partner_id, self.portal.partner_id)
        self.start_tour(conversation_url, "line_connector_account_link_linked", login="line_operator")
