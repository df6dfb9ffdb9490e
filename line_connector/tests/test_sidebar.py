from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .. import const
from .common import LineConversationCase


@tagged("post_install", "-at_install")
class TestSidebar(LineConversationCase):
    """Discuss starts with the LINE conversations that need someone, however many customers wrote once."""

    first_message = "Is the shop open on Sunday?"

    def sidebar(self, user):
        return self.env["discuss.channel"].with_user(user)._get_channels_as_member()

    def member(self, user):
        return self.conversation.channel_member_ids.filtered(lambda m: m.partner_id == user.partner_id)

    def read_all(self, user):
        self.member(user)._mark_as_read(self.conversation.message_ids[:1].id)

    def answer(self):
        self.conversation.with_user(self.operator).message_post(
            body="Yes, from 10 to 18.", message_type="comment", subtype_xmlid="mail.mt_comment")

    def days_ago(self, days):
        """The conversation's last message, and its members' last visit, were ``days`` ago."""
        past = fields.Datetime.now() - timedelta(days=days)
        self.conversation.last_interest_dt = past
        self.conversation.channel_member_ids.last_interest_dt = past

    def cron(self):
        self.env["discuss.channel.member"]._cron_line_unpin()

    def told(self, user, notification_type):
        """The bus notifications of ``notification_type`` sent to ``user`` since the last call."""
        self.env.cr.precommit.run()
        sent = self.env["bus.bus"].sudo().search([("message", "like", notification_type)]).filtered(
            lambda bus: bus.channel.endswith(f'"res.partner",{user.partner_id.id}]'))
        self.env["bus.bus"].sudo().search([]).unlink()
        return sent

    def test_an_answered_quiet_conversation_leaves_the_sidebar_and_comes_back_when_the_customer_writes(self):
        self.answer()
        self.read_all(self.operator)
        self.days_ago(const.LINE_QUIET_DAYS - 1)
        self.cron()
        self.assertIn(self.conversation, self.sidebar(self.operator), "not quiet long enough")
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.told(self.operator, "")
        self.cron()
        self.assertNotIn(self.conversation, self.sidebar(self.operator))
        self.assertFalse(self.member(self.operator), "left it: Discuss lists a user's memberships on every page")
        self.assertTrue(self.told(self.operator, "channelMembers"), "their open Discuss lets it go")
        self.assertTrue(self.customer_partner_or_guest(), "the customer stays")
        self.assertIn(self.conversation, self.env["discuss.channel"].with_user(self.operator).search(
            [("channel_type", "=", "line")]), "still in LINE Conversations")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "And on holidays?")
        self.env["line.event"]._cron_process_events()
        self.assertIn(self.conversation, self.sidebar(self.operator), "back with the customer's message")
        self.assertEqual(self.member(self.operator).message_unread_counter, 1, "and its unread counter")
        self.assertTrue(self.told(self.operator, "discuss.channel/joined"), "and Discuss tells the operator")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Or Monday?")
        self.env["line.event"]._cron_process_events()
        self.assertEqual(self.member(self.operator).message_unread_counter, 2, "one membership, counting on")

    def customer_partner_or_guest(self):
        identity = self.conversation.line_identity_id
        if identity.partner_id:
            return self.conversation.channel_member_ids.filtered(lambda m: m.partner_id == identity.partner_id)
        return self.conversation.channel_member_ids.filtered(lambda m: m.guest_id == identity.guest_id)

    def test_an_unanswered_or_unread_conversation_stays(self):
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.read_all(self.operator)
        self.cron()
        self.assertIn(self.conversation, self.sidebar(self.operator), "the customer waits for an answer")

    def test_others_leave_a_conversation_someone_is_assigned(self):
        self.conversation.line_channel_id._line_assign(self.conversation, self.operator, note=False)
        self.conversation.add_members(partner_ids=self.manager.partner_id.ids, post_joined_message=False)
        self.days_ago(0.05)  # an hour later: the job runs every hour
        self.cron()
        self.assertFalse(self.member(self.manager), "unread, but it is not the manager's")
        self.assertNotIn(self.conversation, self.sidebar(self.manager))
        self.assertIn(self.conversation, self.sidebar(self.operator), "the assignee keeps it")
        self.assertGreater(self.member(self.operator).message_unread_counter, 0, "and is notified")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Hello again")
        self.env["line.event"]._cron_process_events()
        self.assertFalse(self.member(self.manager), "the customer writing brings back whoever answers, not all")

    def test_with_nobody_assigned_the_first_members_come_back(self):
        self.answer()
        self.conversation.line_assignee_id = False
        self.read_all(self.operator)
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.cron()
        self.assertFalse(self.member(self.operator))
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Anyone there?")
        self.env["line.event"]._cron_process_events()
        self.assertEqual(self.member(self.operator).message_unread_counter, 1,
                         "the channel's responsible user, as for a new customer")

    def test_a_conversation_marked_done_is_read_and_leaves_when_quiet(self):
        self.conversation.with_user(self.operator).action_line_done()
        self.assertEqual(self.member(self.operator).message_unread_counter, 0, "who marks it done has dealt with it")
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.cron()
        self.assertNotIn(self.conversation, self.sidebar(self.operator))

    def test_the_quiet_days_are_a_setting(self):
        self.answer()
        self.read_all(self.operator)
        self.days_ago(1)
        self.cron()
        self.assertIn(self.conversation, self.sidebar(self.operator), "the default is three quiet days")
        self.env["res.config.settings"].create({"line_sidebar_quiet_days": 0}).execute()
        self.cron()
        self.assertNotIn(self.conversation, self.sidebar(self.operator), "a shop that wants short sidebars")

    def test_who_left_still_opens_and_answers_it_from_line_conversations(self):
        self.answer()
        self.read_all(self.operator)
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.cron()
        self.assertFalse(self.member(self.operator))
        self.authenticate("line_operator", "line_operator")
        history = self.make_jsonrpc_request("/discuss/channel/messages", {"channel_id": self.conversation.id})
        self.assertIn("Is the shop open on Sunday?", str(history), "Discuss shows the history")
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": self.conversation.id,
            "post_data": {"body": "We are open on Sunday too.", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment"}})
        self.env["line.message"]._cron_send()
        sent = [s for s in self.emu.sent(user_id=self.customer["user_id"]) if s["delivered"]]
        self.assertEqual([m["text"] for s in sent for m in s["messages"]][-1], "We are open on Sunday too.",
                         "and the answer reaches LINE")

    def test_a_friend_back_brings_the_assignee_back(self):
        self.answer()
        self.read_all(self.operator)
        self.days_ago(const.LINE_QUIET_DAYS + 1)
        self.cron()
        self.emu.unfollow(self.channel_id, self.customer["user_id"])
        self.emu.follow(self.channel_id, self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        self.assertIn(self.conversation, self.sidebar(self.operator), "the customer unblocked the account")
        self.assertGreater(self.member(self.operator).message_unread_counter, 0)
