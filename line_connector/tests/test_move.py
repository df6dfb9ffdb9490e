from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestMoveToAnotherCompany(LineHttpCase):
    """A customer of the shared account moves from the Osaka company to Kyoto: Kyoto's team is told,
    answers in the same conversation, and Osaka's people no longer see it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.osaka_agent = new_test_user(
            cls.env, "osaka_agent", groups="base.group_user,line_connector.group_line_operator")
        cls.both_operator = new_test_user(
            cls.env, "both_operator", groups="base.group_user,line_connector.group_line_operator",
            company_ids=[(6, 0, (cls.company | cls.other_company).ids)], company_id=cls.company.id)
        cls.kyoto_operator.notification_type = "inbox"
        cls.kyoto_team = cls.env["crm.team"].create({
            "name": "Kyoto Sales", "company_id": cls.other_company.id,
            "member_ids": [(6, 0, cls.kyoto_operator.ids)]})
        cls.shared, cls.emu_shared = cls._make_channel(
            "Kansai Shops", scope="shared", default_company_id=cls.company.id, assign_target="users",
            assign_user_ids=[(6, 0, cls.osaka_agent.ids)])
        cls.emu.update_channel(cls.emu_shared["channel_id"], webhook_url=cls.shared.webhook_url)

    def writes(self, customer, text):
        self.emu.follow(self.emu_shared["channel_id"], customer["user_id"])
        self.emu.send_text(self.emu_shared["channel_id"], customer["user_id"], text)
        self.env["line.event"]._cron_process_events()
        return self.conversation_of(customer, self.shared)

    def move(self, conversations, user, company=None, reason="Moved house to Kyoto"):
        wizard = self.env["line.move.wizard"].with_user(user).create({
            "conversation_ids": [(6, 0, conversations.ids)], "company_id": (company or self.other_company).id,
            "reason": reason})
        return wizard.action_move()

    def visible_to(self, user, conversation):
        return conversation in self.env["discuss.channel"].with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids).search([("channel_type", "=", "line")])

    def test_moved_customer_reaches_kyotos_team_and_leaves_osaka(self):
        hanako = self.new_customer("Hanako")
        conversation = self.writes(hanako, "I moved to Kyoto")
        self.assertEqual(conversation.line_assignee_id, self.osaka_agent)
        self.move(conversation, self.both_operator)
        self.assertEqual(conversation.line_company_id, self.other_company)
        self.assertEqual(conversation.line_team_id, self.kyoto_team)
        self.assertEqual(conversation.line_assignee_id, self.kyoto_operator, "Kyoto's team answers now")
        note = conversation.message_ids[:1]
        self.assertIn("by both_operator", note.body)
        self.assertIn("Moved house to Kyoto", note.body)
        self.assertIn("I moved to Kyoto", " ".join(conversation.message_ids.mapped("body")), "history is kept")
        member = conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.kyoto_operator.partner_id)
        self.assertGreaterEqual(member.message_unread_counter, 1, "Kyoto sees it unread")
        self.assertIn(self.kyoto_operator.partner_id, note.notification_ids.res_partner_id, "and in their Inbox")
        self.assertTrue(self.visible_to(self.kyoto_operator, conversation))
        self.assertFalse(self.visible_to(self.osaka_agent, conversation), "Osaka's agent no longer sees it")
        self.assertNotIn(self.osaka_agent.partner_id, conversation.channel_member_ids.partner_id)
        self.assertTrue(self.visible_to(self.both_operator, conversation), "who works for both still does")
        self.assertFalse(self.emu.sent(user_id=hanako["user_id"]), "nothing of this is sent to the customer")
        # The customer keeps chatting with the same account: Kyoto answers in the same conversation.
        self.assertEqual(self.writes(hanako, "Hello Kyoto"), conversation)
        conversation.with_user(self.kyoto_operator).message_post(
            body="Welcome to Kyoto", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        sent = self.emu.sent(user_id=hanako["user_id"])
        self.assertEqual([m["text"] for s in sent for m in s["messages"]], ["Welcome to Kyoto"])

    def test_move_from_discuss(self):
        conversation = self.writes(self.new_customer("Hanako"), "I moved to Kyoto")
        # Both companies selected in the company switcher: Odoo offers only the selected ones.
        self.start_tour("/odoo/discuss", "line_connector_move", login="line_manager",
                        cookies={"cids": f"{self.company.id}-{self.other_company.id}"})
        self.assertEqual(conversation.line_company_id, self.other_company)
        self.assertEqual(conversation.line_assignee_id, self.kyoto_operator)
        self.assertIn("Moved house to Kyoto", conversation.message_ids[:1].body)

    def test_the_customer_stays_in_their_conversation(self):
        conversation = self.writes(self.new_customer("Kana"), "hi")
        portal = new_test_user(self.env, "kana_portal", groups="base.group_portal")
        conversation.line_identity_id._link_partner(portal.partner_id)
        conversation.add_members(partner_ids=portal.partner_id.ids, post_joined_message=False)
        self.move(conversation, self.manager)
        self.assertIn(portal.partner_id, conversation.channel_member_ids.partner_id, "a customer with a portal account")
        self.assertIn(conversation.line_identity_id.guest_id, conversation.channel_member_ids.guest_id)

    def test_move_in_bulk_by_a_manager(self):
        conversations = self.writes(self.new_customer("A"), "a") | self.writes(self.new_customer("B"), "b")
        self.move(conversations, self.manager)
        self.assertEqual(conversations.mapped("line_company_id"), self.other_company)
        self.assertEqual(len(conversations.message_ids.filtered(lambda m: "by line_manager" in m.body)), 2)

    def test_refused_to_whoever_may_not_move_it(self):
        conversation = self.writes(self.new_customer("Taro"), "hi")
        with self.assertRaises(AccessError, msg="Osaka's operator does not work for Kyoto"):
            self.move(conversation, self.osaka_agent)
        with self.assertRaises(AccessError, msg="Kyoto's operator cannot take Osaka's customer"):
            self.move(conversation, self.kyoto_operator)
        employee = new_test_user(self.env, "employee", groups="base.group_user",
                                 company_ids=[(6, 0, (self.company | self.other_company).ids)])
        with self.assertRaises(AccessError, msg="not a LINE user"):
            self.move(conversation, employee)
        self.assertEqual(conversation.line_company_id, self.company, "nothing moved")

    def test_a_one_company_channels_customer_cannot_move(self):
        conversation = self.receive(self.new_customer("Jiro"))
        with self.assertRaisesRegex(UserError, "add-friend link"):
            self.move(conversation, self.manager)
        self.assertEqual(conversation.line_company_id, self.company)
