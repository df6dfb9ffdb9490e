from odoo.tests import tagged

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestFriendNotice(LineHttpCase):
    """A new friend shows: the assignee and the team see the conversation unread, in their Inbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.responsible_user_ids = cls.operator
        cls.operator.notification_type = "inbox"  # Odoo's Inbox (users choosing email get an email)
        cls.emu.update_channel(cls.emu_channel["channel_id"], webhook_url=cls.line_channel.webhook_url)

    def follows(self, name, emu_channel=None):
        customer = self.new_customer(name)
        self.emu.follow((emu_channel or self.emu_channel)["channel_id"], customer["user_id"])
        self.env["line.event"]._cron_process_events()
        return customer

    def member(self, conversation, user):
        return conversation.channel_member_ids.filtered(lambda m: m.partner_id == user.partner_id)

    def test_a_new_friend_is_unread_for_the_assignee(self):
        customer = self.follows("Hanako")
        conversation = self.conversation_of(customer)
        self.assertEqual(conversation.line_assignee_id, self.operator)
        self.assertEqual(self.member(conversation, self.operator).message_unread_counter, 1)
        note = conversation.message_ids[:1]
        self.assertIn("Hanako added the account as a friend.", note.body)
        self.assertIn(self.operator.partner_id, note.notification_ids.filtered(
            lambda n: n.notification_type == "inbox").res_partner_id)
        self.assertFalse(self.emu.sent(user_id=customer["user_id"]), "the note is never sent to LINE")

    def test_without_a_company_for_new_customers_the_note_says_who_sees_it(self):
        shared, emu_shared = self._make_channel("Kansai Shops", scope="shared")
        shared.responsible_user_ids = self.manager | self.operator
        self.emu.update_channel(emu_shared["channel_id"], webhook_url=shared.webhook_url)
        customer = self.follows("Taro", emu_shared)
        conversation = self.conversation_of(customer, shared)
        self.assertIn(f"only LINE managers see this conversation ({self.manager.name} are told)",
                      conversation.message_ids[:1].body)
        self.assertEqual(self.member(conversation, self.manager).message_unread_counter, 1)
        self.assertFalse(self.env["discuss.channel"].with_user(self.operator).search([("id", "=", conversation.id)]))
        self.assertIn(f"only LINE managers see them until someone assigns them. Told of each new customer: "
                      f"{self.manager.name}.", shared.assignment_warning, "the channel form says it too")
