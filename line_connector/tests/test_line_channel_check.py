import base64
import io

from PIL import Image

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.line_connector import const

from .common import LineHttpCase, LineTransactionCase


@tagged("post_install", "-at_install")
class TestLineChannelCheck(LineTransactionCase):
    """What an admin sees on the channel form after "Check connection"."""

    def test_good_credentials_show_the_bot_and_the_missing_webhook(self):
        channel = self.line_channel.with_user(self.manager)
        channel.action_check_connection()
        self.assertEqual(channel.bot_display_name, "Osaka Store")
        self.assertEqual(channel.bot_user_id, self.emu_channel["bot_user_id"])
        self.assertTrue(channel.bot_basic_id.startswith("@"))
        self.assertEqual(channel.check_state, "error", "no webhook at LINE: nothing can arrive")
        self.assertIn("No webhook URL is set at LINE", channel.check_report)
        self.assertIn(channel.webhook_url, channel.check_report)
        self.assertIn("greeting and auto-reply", channel.check_report)

    def test_the_checked_account_has_an_add_friend_link_and_qr_code(self):
        self.assertFalse(self.line_channel.friend_url, "unknown until LINE said the account's basic ID")
        self.line_channel.with_user(self.manager).action_check_connection()
        basic_id = self.emu_channel["basic_id"]
        self.assertEqual(self.line_channel.friend_url, "https://line.me/R/ti/p/%40" + basic_id[1:])
        qr = Image.open(io.BytesIO(base64.b64decode(self.line_channel.friend_qr)))
        self.assertEqual((qr.format, qr.width, qr.width == qr.height), ("PNG", qr.width, True))
        self.assertGreaterEqual(qr.width, 250, "large enough to print and to scan from a screen")

    def test_credentials_of_another_account_are_never_taken_silently(self):
        channel = self.line_channel.with_user(self.manager)
        channel.action_check_connection()
        first_bot = channel.bot_user_id
        other, other_emu = self._make_channel("Kobe Store")
        channel.write({"channel_number": other.channel_number, "channel_secret": other.channel_secret})
        channel.action_check_connection()
        self.assertEqual(channel.check_state, "error")
        self.assertEqual(channel.bot_user_id, first_bot, "the conversations' account is kept")
        self.assertIn("belong to another LINE Official Account", channel.check_report)
        self.assertIn("Kobe Store", channel.check_report)
        self.assertEqual(channel.pending_bot_user_id, other_emu["bot_user_id"])
        channel.action_accept_new_account()
        self.assertEqual((channel.bot_user_id, channel.bot_display_name), (other_emu["bot_user_id"], "Kobe Store"))
        self.assertFalse(channel.pending_bot_user_id)
        self.assertNotIn("belong to another LINE Official Account", channel.check_report)
        with self.assertRaises(AccessError):
            channel.with_user(self.operator).action_accept_new_account()

    def test_wrong_secret_says_line_refused_the_credentials(self):
        self.line_channel.channel_secret = "not-the-secret"
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.check_state, "error")
        self.assertIn("LINE does not accept these credentials", self.line_channel.check_report)
        token_call = self.emu.calls(endpoint="token")[-1]
        self.assertEqual(token_call["status"], 400)
        self.assertIn(token_call["response"]["error_description"], self.line_channel.check_report,
                      "LINE's own words, so the admin can search for them")
        self.assertIn("Basic settings", self.line_channel.check_report)
        self.assertFalse(self.line_channel.bot_user_id)

    def test_chat_mode_and_picture_come_from_line(self):
        picture = "https://profile.line-scdn.net/osaka-store.png"
        self.emu.update_channel(self.emu_channel["channel_id"], chat_mode="chat", picture_url=picture)
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.chat_mode, "chat")
        self.assertEqual(self.line_channel.bot_picture_url, picture)
        self.assertIn("Chat is on", self.line_channel.check_report)
        self.emu.update_channel(self.emu_channel["channel_id"], chat_mode="bot")
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.chat_mode, "bot")
        self.assertIn("Chat is off", self.line_channel.check_report)
        self.assertNotIn("Chat is on", self.line_channel.check_report)

    def test_webhook_elsewhere_or_inactive(self):
        self.emu.update_channel(self.emu_channel["channel_id"], webhook_url="https://other-tool.example/hook",
                                webhook_active=False)
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.check_state, "error")
        self.assertEqual(self.line_channel.webhook_registered_url, "https://other-tool.example/hook")
        self.assertIn("not to Odoo", self.line_channel.check_report)
        self.assertIn("Use webhook", self.line_channel.check_report)

    def test_webhook_registered_and_quota(self):
        self.emu.update_channel(self.emu_channel["channel_id"], webhook_url=self.line_channel.webhook_url,
                                webhook_active=True, quota=1000)
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.check_state, "ok")
        self.assertEqual((self.line_channel.quota_type, self.line_channel.quota_limit, self.line_channel.quota_used),
                         ("limited", 1000, 0))
        self.assertIn("sends events to Odoo", self.line_channel.check_report)
        customer = self.new_customer("Quota customer")
        self.befriend(customer)
        client = self.line_channel._line_client()
        for text in ("one", "two"):
            client.push(customer["user_id"], [{"type": "text", "text": text}])
        self.line_channel.action_check_connection()
        self.assertEqual((self.line_channel.quota_limit, self.line_channel.quota_used), (1000, 2),
                         "LINE counts the pushes of this month")

    def test_spent_quota_is_a_warning_with_what_still_works(self):
        self.emu.update_channel(self.emu_channel["channel_id"], webhook_url=self.line_channel.webhook_url,
                                webhook_active=True, quota=0)
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.check_state, "warning")
        self.assertIn("quota is spent", self.line_channel.check_report)
        self.assertIn("Replies within a minute", self.line_channel.check_report)

    def test_line_unreachable(self):
        self.line_channel.api_url = "http://127.0.0.1:9"
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.check_state, "error")
        self.assertIn("could not be asked", self.line_channel.check_report)

    def test_real_line_needs_a_frozen_https_base_url(self):
        """Pointed at LINE itself, the check says what LINE needs of Odoo's address."""
        self.line_channel.api_url = const.DEFAULT_API_URL  # unreachable from the tests: LINE errors too
        params = self.env["ir.config_parameter"]
        params.set_param("web.base.url", "http://odoo.example.jp")
        params.set_param("web.base.url.freeze", False)
        self.line_channel.action_check_connection()
        self.assertIn("is not HTTPS", self.line_channel.check_report)
        self.assertIn("web.base.url.freeze", self.line_channel.check_report)
        params.set_param("web.base.url", "https://odoo.example.jp")
        params.set_param("web.base.url.freeze", True)
        self.line_channel.action_check_connection()
        self.assertNotIn("is not HTTPS", self.line_channel.check_report)
        self.assertNotIn("web.base.url.freeze", self.line_channel.check_report)

    def test_long_lived_token_is_used_when_given(self):
        token = self.emu.issue_long_lived_token(self.emu_channel["channel_id"])["access_token"]
        self.line_channel.write({"access_token": token, "channel_secret": "wrong-but-unused"})
        self.line_channel.action_check_connection()
        self.assertEqual(self.line_channel.bot_user_id, self.emu_channel["bot_user_id"])


@tagged("post_install", "-at_install")
class TestLineChannelRegisterWebhook(LineHttpCase):
    """"Register webhook" sets the URL at LINE and LINE really calls Odoo's webhook."""

    def test_register_webhook_then_line_test_reaches_odoo(self):
        self.line_channel.with_user(self.manager).action_register_webhook()
        self.assertEqual(self.line_channel.webhook_registered_url, self.line_channel.webhook_url)
        self.assertEqual(self.line_channel.check_state, "ok")
        delivery = self.emu.deliveries(channel_id=self.emu_channel["channel_id"])[-1]
        self.assertEqual(delivery["status_code"], 200)

    def test_register_webhook_unreachable_odoo_says_why(self):
        # Odoo's base URL is what LINE is told to call: a wrong one fails LINE's test.
        self.env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:9")
        channel = self.line_channel.with_user(self.manager)
        action = channel.action_register_webhook()
        self.assertEqual((action["tag"], action["params"]["type"], action["params"]["sticky"]),
                         ("display_notification", "warning", True))
        self.assertIn("could not deliver a test event", action["params"]["message"])
        self.assertIn("http://127.0.0.1:9", action["params"]["message"])
        # The check ran and its results are kept, with the reason among them.
        self.assertEqual(channel.webhook_registered_url, channel.webhook_url)
        self.assertEqual(channel.bot_display_name, "Osaka Store")
        self.assertTrue(channel.check_date)
        self.assertEqual(channel.check_state, "error", "LINE cannot deliver: nothing arrives")
        self.assertIn("could not deliver a test event", channel.check_report)
        self.assertIn("greeting and auto-reply", channel.check_report)
        self.assertNotIn("sends events to Odoo", channel.check_report)
