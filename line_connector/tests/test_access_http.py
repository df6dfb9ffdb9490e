from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestAccessOverHttp(LineHttpCase):
    """Who may do what, asked the way the web client asks: real sessions over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kyoto_channel, cls.kyoto_emu = cls._make_channel("Kyoto Store", company_id=cls.other_company.id)
        cls.nobody = new_test_user(cls.env, "no_line", groups="base.group_user")
        cls.portal = new_test_user(cls.env, "portal_customer", groups="base.group_portal")
        cls.kyoto_manager = new_test_user(
            cls.env, "kyoto_manager", groups="base.group_user,line_connector.group_line_manager",
            company_ids=[(6, 0, cls.other_company.ids)], company_id=cls.other_company.id)

    def call(self, user, model, method, *args, **kwargs):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def button(self, user, model, method, record):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request("/web/dataset/call_button", {
            "model": model, "method": method, "args": [record.ids], "kwargs": {}})

    def line_calls(self, channel_number):
        return len(self.emu.calls(channel_number))

    def test_only_the_channels_managers_make_it_call_line(self):
        outsiders = [self.operator, self.kyoto_operator, self.nobody, self.portal, self.kyoto_manager]
        number = self.line_channel.channel_number
        for action in ("action_check_connection", "action_register_webhook", "action_new_webhook_url"):
            for user in outsiders:
                before = self.line_calls(number)
                with self.subTest(action=action, user=user.login), self.assertRaisesRegex(
                        JsonRpcException, "AccessError"):
                    self.button(user, "line.channel", action, self.line_channel)
                self.assertEqual(self.line_calls(number), before, f"{user.login}: no call to LINE for {action}")
        token = self.line_channel.webhook_token
        self.button(self.manager, "line.channel", "action_check_connection", self.line_channel)
        self.assertGreater(self.line_calls(number), 0)
        self.assertEqual(self.line_channel.webhook_token, token, "the webhook URL is still the one LINE knows")
        self.assertIn(self.line_channel.check_state, ("ok", "warning", "error"))

    def test_operators_cannot_move_conversations_or_customers_elsewhere(self):
        customer = self.new_customer("Hanako")
        conversation = self.receive(customer)
        identity = conversation.line_identity_id
        for field, value in (("line_channel_id", self.kyoto_channel.id), ("line_company_id", self.other_company.id),
                             ("line_chat_id", "Cevil"), ("line_identity_id", False), ("channel_type", "channel")):
            with self.subTest(field=field), self.assertRaisesRegex(JsonRpcException, "LineGuardError"):
                self.call(self.operator, "discuss.channel", "write", conversation.ids, {field: value})
        for field, value in (("line_user_id", "Uother"), ("provider_name", "provider-kyoto")):
            with self.subTest(field=field), self.assertRaisesRegex(JsonRpcException, "LineGuardError"):
                self.call(self.operator, "line.identity", "write", identity.ids, {field: value})
        with self.assertRaisesRegex(JsonRpcException, "LineGuardError"):
            self.call(self.operator, "discuss.channel", "create", [{
                "name": "Mine", "channel_type": "line", "line_channel_id": self.kyoto_channel.id}])
        self.assertEqual((conversation.line_channel_id, conversation.line_company_id, conversation.line_chat_id),
                         (self.line_channel, self.company, False))
        self.assertEqual((identity.line_user_id, identity.provider_name), (customer["user_id"], "provider-osaka"))
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call(self.kyoto_operator, "discuss.channel", "read", conversation.ids, ["name"])

    def test_an_operator_who_is_no_member_reassigns(self):
        conversation = self.receive(self.new_customer("Jiro"))
        self.assertNotIn(self.operator.partner_id, conversation.channel_member_ids.partner_id)
        self.call(self.operator, "discuss.channel", "action_line_reassign", conversation.ids, self.operator.id)
        self.assertEqual(conversation.line_assignee_id, self.operator)
        self.assertIn(self.operator.partner_id, conversation.channel_member_ids.partner_id)
        self.assertIn("Assigned to", conversation.message_ids[0].body)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call(self.nobody, "discuss.channel", "action_line_reassign", conversation.ids, self.nobody.id)

    def test_webhook_urls_of_several_channels_read_at_once(self):
        rows = self.call(self.manager, "line.channel", "search_read", [], ["webhook_url"])
        urls = {row["id"]: row["webhook_url"] for row in rows}
        self.assertEqual(urls[self.line_channel.id], self.line_channel.webhook_url)
        self.assertEqual(urls[self.kyoto_channel.id], self.kyoto_channel.webhook_url)
        self.assertNotEqual(urls[self.line_channel.id], urls[self.kyoto_channel.id])
