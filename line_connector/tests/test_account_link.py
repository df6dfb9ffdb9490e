import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests

from line_emulator import const as emulator_const

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LineConversationCase


@tagged("post_install", "-at_install")
class TestAccountLink(LineConversationCase):
    """LINE's account link, over real HTTP: the operator sends "Link your account", the customer logs
    in to the portal, LINE's dialog (the emulator's) sends the accountLink event, and the LINE customer
    is the portal user's contact."""

    first_message = "I have an account on your site"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.access_url = cls.emulator.base_url
        cls.hanako_portal = new_test_user(cls.env, "hanako_portal", groups="base.group_portal",
                                          name="Hanako Yamada (portal)")
        cls.mallory_portal = new_test_user(cls.env, "mallory_portal", groups="base.group_portal", name="Mallory")

    # -- the steps, as the people do them ---------------------------------------------------------

    def send_link(self, customer=None, conversation=None):
        """The operator types /linkaccount; the customer receives a link: returned."""
        customer = customer or self.customer
        (conversation or self.conversation).with_user(self.operator).execute_command_line_account_link()
        self.env["line.message"]._cron_send()
        # The link is the last message sent (an earlier answer may have gone in the same request).
        text = self.emu.sent(user_id=customer["user_id"])[-1]["messages"][-1]["text"]
        return re.search(r"https?://\S+", text)[0]

    def last_text(self, customer=None):
        return self.emu.sent(user_id=(customer or self.customer)["user_id"])[-1]["messages"][-1]["text"]

    def open_on_site(self, url, login):
        """The customer opens the link in a browser, logged in as ``login``: where Odoo sends them."""
        self.authenticate(login, login)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        return response.headers["Location"]

    def open_dialog(self, dialog_url, customer):
        """LINE's account-link dialog, opened in the LINE app of ``customer``; LINE's event is processed."""
        page = requests.get(dialog_url, cookies={emulator_const.PHONE_USER_COOKIE: customer["user_id"]},
                            timeout=30)
        self.env["line.event"]._cron_process_events()
        return page

    def notes(self, conversation=None):
        return (conversation or self.conversation).message_ids.filtered(
            lambda m: m.message_type == "notification").mapped("body")

    def identity(self, customer=None):
        return self.conversation_of(customer or self.customer).line_identity_id

    def friend(self, name):
        customer = self.new_customer(name)
        self.emu.follow(self.channel_id, customer["user_id"])
        self.emu.send_text(self.channel_id, customer["user_id"], "hello")
        self.env["line.event"]._cron_process_events()
        return customer

    # -- the path ------------------------------------------------------------------------------------

    def test_customer_logs_in_and_line_links_them_to_their_contact(self):
        url = self.send_link()
        self.assertIn("/line/account-link/", url)
        # Not logged in: the portal's login page first, then back to the link.
        self.assertIn("/web/login?redirect=", self.url_open(url, allow_redirects=False).headers["Location"])
        dialog = self.open_on_site(url, "hanako_portal")
        self.assertTrue(dialog.startswith(self.emulator.base_url + "/dialog/bot/accountLink?linkToken="))
        nonce = parse_qs(urlsplit(dialog).query)["nonce"][0]
        self.assertTrue(10 <= len(nonce) <= 255, "LINE's rule for a nonce")
        page = self.open_dialog(dialog, self.customer)
        self.assertIn('data-result="ok"', page.text)
        self.assertEqual(self.identity().partner_id, self.hanako_portal.partner_id)
        self.assertTrue(any("is linked to the contact Hanako Yamada (portal)" in n for n in self.notes()))
        # The confirmation goes with the event's reply token (free).
        self.env["line.message"]._cron_send()
        confirmation = self.emu.sent(user_id=self.customer["user_id"])[-1]
        self.assertEqual(confirmation["kind"], "reply")
        self.assertIn("now linked", confirmation["messages"][0]["text"])

    def test_a_japanese_customer_reads_the_link_in_japanese(self):
        """The operator works in English; the customer uses LINE in Japanese: the link comes in Japanese."""
        self.env["res.lang"]._activate_lang("ja_JP")
        self.env["ir.module.module"]._load_module_terms(["line_connector"], ["ja_JP"], overwrite=True)
        self.send_link()
        text = self.emu.sent(user_id=self.customer["user_id"])[-1]["messages"][-1]["text"]
        self.assertIn("LINEアカウントを当社のアカウントと連携するには、10分以内に", text)

    def test_from_the_customer_form_too(self):
        self.identity().with_user(self.operator).action_line_send_account_link()
        self.env["line.message"]._cron_send()
        self.assertIn("/line/account-link/", self.last_text())

    def test_from_the_contact_form_too(self):
        """A contact linked by hand: LINE's account link confirms that the LINE customer is them."""
        contact = self.env["res.partner"].create({"name": "Hanako Yamada"})
        self.identity()._link_partner(contact)
        contact.with_user(self.operator).action_line_send_account_link()
        self.env["line.message"]._cron_send()
        self.assertIn("/line/account-link/", self.last_text())

    # -- attacks: nothing binds ------------------------------------------------------------------------

    def test_forwarded_link_opened_by_another_line_user_binds_nobody(self):
        """Mallory gets Hanako's link, logs in as herself: LINE sees her LINE account open it."""
        mallory = self.friend("Mallory")
        dialog = self.open_on_site(self.send_link(), "mallory_portal")
        self.assertIn('data-result="failed"', self.open_dialog(dialog, mallory).text)
        self.assertFalse(self.identity().partner_id)
        self.assertFalse(self.identity(mallory).partner_id)
        self.assertTrue(any("account link refused" in n for n in self.notes(self.conversation_of(mallory))))
        self.assertFalse(self.env["line.identity"].search([("partner_id", "=", self.mallory_portal.partner_id.id)]))

    def test_link_token_of_one_customer_cannot_link_another(self):
        """Mallory sends Hanako a link made for Mallory's LINE account: Hanako's LINE opens it, LINE refuses."""
        mallory = self.friend("Mallory")
        mallory_link = self.send_link(mallory, self.conversation_of(mallory))
        dialog = self.open_on_site(mallory_link, "hanako_portal")
        self.open_dialog(dialog, self.customer)
        self.assertFalse(self.identity(mallory).partner_id)
        self.assertFalse(self.identity().partner_id)

    def test_replayed_nonce_binds_nothing(self):
        dialog = self.open_on_site(self.send_link(), "hanako_portal")
        nonce = parse_qs(urlsplit(dialog).query)["nonce"][0]
        self.open_dialog(dialog, self.customer)
        self.identity().with_user(self.operator).action_unlink_partner()
        # The same nonce again, in a correctly signed event of LINE's.
        self.deliver_link_event(self.emu_channel, nonce)
        self.assertFalse(self.identity().partner_id)
        self.assertIn("LINE account link refused: the nonce is unknown (never made here, or already used). "
                      "Nothing was linked.", self.notes()[0])

    def deliver_link_event(self, emu_channel, nonce, result="ok"):
        event = self.emu.build_event(emu_channel["channel_id"], self.customer["user_id"], "accountLink",
                                     nonce=nonce, result=result)
        self.emu.deliver_raw(emu_channel["channel_id"], events=[event])
        self.env["line.event"]._cron_process_events()

    def test_unknown_or_guessed_nonce_binds_nothing(self):
        self.deliver_link_event(self.emu_channel, "guessed-nonce-0123456789")
        self.assertFalse(self.identity().partner_id)
        self.assertIn("the nonce is unknown", self.notes()[0])

    def test_nonce_of_another_channel_binds_nothing(self):
        """The same customer on another account of the provider: a nonce is its own channel's."""
        channel_b, emu_b = self._make_channel("Kobe Store")
        self.emu.update_channel(emu_b["channel_id"], webhook_url=channel_b.webhook_url)
        self.emu.follow(emu_b["channel_id"], self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        dialog = self.open_on_site(self.send_link(), "hanako_portal")
        self.deliver_link_event(emu_b, parse_qs(urlsplit(dialog).query)["nonce"][0])
        self.assertFalse(self.identity().partner_id)
        self.assertIn("another LINE channel", self.notes(self.conversation_of(self.customer, channel_b))[0])
        # Spent: LINE's own event for it later binds nothing either.
        self.open_dialog(dialog, self.customer)
        self.assertFalse(self.identity().partner_id)

    def test_expired_link_token_or_nonce_binds_nothing(self):
        url = self.send_link()
        dialog = self.open_on_site(url, "hanako_portal")
        self.emu.advance_clock(emulator_const.LINK_TOKEN_LIFETIME + 1)  # LINE's 10 minutes
        self.assertIn('data-result="failed"', self.open_dialog(dialog, self.customer).text)
        self.assertFalse(self.identity().partner_id)
        # A new link; the customer is slow to come back from the login page: the nonce expired.
        dialog = self.open_on_site(self.send_link(), "hanako_portal")
        self.env["line.account.link"].search([("state", "=", "opened")]).write(
            {"nonce_expiry": fields.Datetime.now() - timedelta(seconds=1)})
        self.open_dialog(dialog, self.customer)
        self.assertFalse(self.identity().partner_id)
        self.assertIn("the nonce expired", self.notes()[0])

    def test_expired_or_guessed_link_on_the_site_is_refused(self):
        url = self.send_link()
        self.env["line.account.link"].search([]).write(
            {"link_token_expiry": fields.Datetime.now() - timedelta(seconds=1)})
        self.authenticate("hanako_portal", "hanako_portal")
        self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404)
        self.assertEqual(self.url_open("/line/account-link/guessed0123456789abcdef0123456789",
                                       allow_redirects=False).status_code, 404)

    def test_a_customer_is_linked_to_one_contact_at_a_time(self):
        other_account = new_test_user(self.env, "hanako_work", groups="base.group_portal", name="Hanako at work")
        self.open_dialog(self.open_on_site(self.send_link(), "hanako_portal"), self.customer)
        self.open_dialog(self.open_on_site(self.send_link(), "hanako_work"), self.customer)
        self.assertEqual(self.identity().partner_id, other_account.partner_id)
        self.assertFalse(self.env["line.identity"].search([("partner_id", "=", self.hanako_portal.partner_id.id)]))

    def test_only_operators_of_the_conversation_send_links(self):
        with self.assertRaises(AccessError):
            self.conversation.with_user(self.kyoto_operator).execute_command_line_account_link()
        self.assertFalse(self.env["line.account.link"].search([]))
