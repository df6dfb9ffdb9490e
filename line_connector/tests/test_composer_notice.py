import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import LineHttpCase, LineTransactionCase


class ComposerNoticeCommon:
    def event(self, customer, kind, **params):
        """LINE sends ``kind`` for ``customer``; it is stored and processed."""
        event = self.emu.build_event(self.emu_channel["channel_id"], customer["user_id"], kind, **params)
        self.env["line.event"]._store(self.line_channel, [event])
        self.env["line.event"]._cron_process_events()

    def notice(self, conversation):
        """What the composer of the conversation says before the operator sends."""
        return conversation.with_user(self.operator)._line_store_values()["line_composer_notice"]


@tagged("post_install", "-at_install")
class TestComposerNotice(ComposerNoticeCommon, LineTransactionCase):
    """The composer of a LINE conversation says why LINE would refuse an answer, before sending."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.responsible_user_ids = cls.operator

    def setUp(self):
        super().setUp()
        self.customer = self.new_customer("Hanako")
        self.conversation = self.receive(self.customer, "Do you have this in blue?")

    def bus_notices(self):
        """The composer notices Discuss was told of live for the conversation."""
        self.env.cr.precommit.run()
        notices = []
        for bus in self.env["bus.bus"].sudo().search([("message", "like", "line_composer_notice")], order="id"):
            for thread in json.loads(bus.message)["payload"].get("discuss.channel", []):
                if thread.get("id") == self.conversation.id and "line_composer_notice" in thread:
                    notices.append(thread["line_composer_notice"])
        return notices

    def test_a_normal_conversation_says_nothing(self):
        self.assertFalse(self.notice(self.conversation))

    def test_blocked_customer(self):
        self.event(self.customer, "unfollow")
        self.assertIn("Hanako blocked the account on LINE", self.notice(self.conversation))
        self.assertIn("Hanako blocked the account on LINE", self.bus_notices()[-1], "shown live")
        self.event(self.customer, "follow")
        self.assertFalse(self.notice(self.conversation), "unblocked: nothing to warn of")
        self.assertFalse(self.bus_notices()[-1], "the notice goes live")

    def test_customer_of_another_provider(self):
        self.line_channel.provider_name = "provider-kyoto"
        self.assertIn("Hanako is a customer of LINE provider provider-osaka", self.notice(self.conversation))

    def test_standby_mode(self):
        event = self.emu.build_event(self.emu_channel["channel_id"], self.customer["user_id"], "text",
                                     text="someone else answers")
        event.update(mode="standby")
        event.pop("replyToken", None)
        self.env["line.event"]._store(self.line_channel, [event])
        self.env["line.event"]._cron_process_events()
        self.assertIn("standby mode", self.notice(self.conversation))
        self.assertIn("standby mode", self.bus_notices()[-1], "shown live")
        self.receive(self.customer, "back to the shop's own chat")
        self.assertFalse(self.notice(self.conversation))

    def test_reply_window_closed(self):
        self.line_channel.reply_window_days = 3
        self.assertFalse(self.notice(self.conversation), "the customer wrote just now")
        self.conversation.line_last_customer_date = fields.Datetime.now() - timedelta(days=4)
        self.assertIn("Hanako last wrote more than 3 days ago", self.notice(self.conversation))
        self.receive(self.customer, "Still there?")
        self.assertFalse(self.notice(self.conversation))
        self.assertFalse(self.bus_notices()[-1], "the notice goes live when the customer writes again")

    def test_a_spent_quota_is_not_announced(self):
        """A reply within a minute of the customer's message is free: only sending can tell."""
        self.line_channel.write({"quota_type": "limited", "quota_limit": 10, "quota_checked_used": 10,
                                 "quota_checked_date": fields.Datetime.now() - timedelta(minutes=1)})
        self.assertFalse(self.notice(self.conversation))

    def test_sending_stays_possible_and_fails_with_the_same_words(self):
        self.event(self.customer, "unfollow")
        message = self.conversation.with_user(self.operator).message_post(
            body="Are you there?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertIn(message, self.conversation.message_ids)
        self.assertEqual(message.notification_ids.failure_reason, self.notice(self.conversation))


@tagged("post_install", "-at_install")
class TestComposerNoticeUi(ComposerNoticeCommon, LineHttpCase):
    """In a real browser: the composer warns before the operator writes to a customer who blocked."""

    def test_the_composer_says_the_customer_blocked_the_account(self):
        self.line_channel.responsible_user_ids = self.operator
        customer = self.new_customer("Hanako Blocked")
        self.receive(customer, "Hello")
        self.event(customer, "unfollow")
        self.start_tour("/odoo/discuss", "line_connector_composer_notice", login="line_operator")
