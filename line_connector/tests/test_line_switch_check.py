"""Check connection finds another Official Account behind a channel's credentials: never taken
silently; a LINE manager says whether it is a new account (the switch wizard) or a mistake."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestSwitchOnCheckConnection(LineTransactionCase):

    def setUp(self):
        super().setUp()
        self.channel = self.line_channel.with_user(self.manager)
        self.channel.action_check_connection()
        self.old_bot, self.old_number = self.channel.bot_user_id, self.channel.channel_number
        self.customer = self.new_customer("Hanako")
        self.conversation = self.receive(self.customer, "Hello")
        self.new_emu = self.emu.replace_channel(self.emu_channel["channel_id"], display_name="Osaka Store 2")

    def enter_new_credentials(self):
        self.channel.write({"channel_number": self.new_emu["channel_id"],
                            "channel_secret": self.new_emu["channel_secret"]})
        self.channel.action_check_connection()
        self.assertEqual(self.channel.bot_user_id, self.old_bot, "never overwritten silently")
        self.assertEqual(self.channel.pending_bot_user_id, self.new_emu["bot_user_id"])
        self.assertIn("belong to another LINE Official Account", self.channel.check_report)

    def notice(self):
        return self.conversation.with_user(self.operator)._line_store_values()["line_composer_notice"]

    def test_a_mistake_keeps_the_old_account_and_its_credentials(self):
        self.enter_new_credentials()
        with self.assertRaises(AccessError):
            self.channel.with_user(self.operator).action_keep_old_account()
        self.channel.action_keep_old_account()
        self.assertEqual(self.channel.channel_number, self.old_number, "the credentials the account had")
        self.assertEqual(self.channel.bot_user_id, self.old_bot)
        self.assertFalse(self.channel.pending_bot_user_id)
        self.assertNotIn("belong to another LINE Official Account", self.channel.check_report)
        self.assertFalse(self.notice(), "nothing changed for the customers")

    def test_a_new_account_opens_the_switch_wizard_and_its_customers_add_it(self):
        self.enter_new_credentials()
        with self.assertRaises(AccessError):
            self.channel.with_user(self.operator).action_switch_to_new_account()
        action = self.channel.action_switch_to_new_account()
        wizard = self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"]).create({})
        self.assertEqual((wizard.channel_ids, wizard.renewed_channel_id, wizard.scope),
                         (self.line_channel, self.line_channel, "company"))
        self.assertEqual(wizard.line_ids.channel_id, self.line_channel, "the same channel, another account")
        self.assertEqual((wizard.keep_count, wizard.readd_count), (0, 1))
        new_link = "https://line.me/R/ti/p/%40" + self.new_emu["basic_id"][1:]
        self.assertIn("Osaka Store 2", str(wizard.impact_html))
        self.assertIn(new_link, str(wizard.impact_html))
        self.assertFalse(wizard.provider_warning)

        followup = self.env["line.switch.move"].search(wizard.action_apply()["domain"])
        self.assertEqual(followup.conversation_id, self.conversation)
        self.assertEqual(self.channel.bot_user_id, self.new_emu["bot_user_id"])
        self.assertEqual(self.channel.friend_url, new_link)
        self.assertIn("Ask Hanako to add Osaka Store 2 as a friend", self.notice())
        self.assertIn(new_link, self.notice())

        # Hanako adds the new account: under the same provider LINE gives her the same user ID.
        self.emu.follow(self.new_emu["channel_id"], self.customer["user_id"])
        event = self.emu.build_event(self.new_emu["channel_id"], self.customer["user_id"], "follow")
        self.env["line.event"]._store(self.line_channel, [event])
        self.env["line.event"]._cron_process_events()
        self.assertFalse(self.notice(), "she can be answered again, in the same conversation")
        self.assertEqual(followup.state, "done")
        self.assertIn("is on the new account", "".join(self.conversation.message_ids.mapped("body")))
        self.conversation.with_user(self.operator).message_post(
            body="Welcome back", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        texts = [m["text"] for s in self.emu.sent(channel_id=self.new_emu["channel_id"]) if s["delivered"]
                 for m in s["messages"]]
        self.assertEqual(texts, ["Welcome back"], "sent through the new account")

    def test_a_new_account_under_another_provider(self):
        self.new_emu = self.emu.replace_channel(self.emu_channel["channel_id"], provider_id="provider-kobe",
                                                display_name="Osaka Store Kobe")
        self.enter_new_credentials()
        action = self.channel.action_switch_to_new_account()
        wizard = self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"]).create({})
        wizard.line_ids.new_provider_name = "provider-kobe"
        self.assertIn("Nobody will be recognised", wizard.provider_warning)
        wizard.action_apply()
        self.assertEqual(self.channel.provider_name, "provider-kobe")
        self.assertIn("another LINE provider", self.notice())
