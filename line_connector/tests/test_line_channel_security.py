from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestLineChannelSecurity(LineTransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kyoto_channel, _emu = cls._make_channel("Kyoto Store", company_id=cls.other_company.id)
        cls.shared_channel, _emu = cls._make_channel("Japan HQ", scope="shared")
        cls.kyoto_manager = new_test_user(
            cls.env, "kyoto_manager", groups="base.group_user,line_connector.group_line_manager",
            company_ids=[(6, 0, cls.other_company.ids)], company_id=cls.other_company.id)

    def test_operators_see_their_companies_and_shared_channels(self):
        Channel = self.env["line.channel"]
        self.assertEqual(Channel.with_user(self.operator).search([]),
                         self.line_channel | self.shared_channel)
        self.assertEqual(Channel.with_user(self.kyoto_operator).search([]),
                         self.kyoto_channel | self.shared_channel)
        with self.assertRaises(AccessError):
            self.kyoto_channel.with_user(self.operator).read(["name"])

    def test_operators_see_the_customers_of_their_companies(self):
        osaka = self.receive(self.new_customer("Osaka customer")).line_identity_id
        kyoto_emu = {"channel_id": self.kyoto_channel.channel_number}
        kyoto = self.receive(self.new_customer("Kyoto customer"), channel=self.kyoto_channel,
                             emu_channel=kyoto_emu).line_identity_id
        Identity = self.env["line.identity"]
        self.assertEqual(Identity.with_user(self.operator).search([("id", "in", (osaka | kyoto).ids)]), osaka)
        self.assertEqual(Identity.with_user(self.kyoto_operator).search([("id", "in", (osaka | kyoto).ids)]), kyoto)
        with self.assertRaises(AccessError):
            kyoto.with_user(self.operator).read(["name"])
        self.assertEqual(Identity.with_user(self.manager).search([("id", "in", (osaka | kyoto).ids)]), osaka | kyoto)

    def test_shared_channel_has_no_company(self):
        self.assertFalse(self.shared_channel.company_id)
        self.line_channel.write({"scope": "shared"})
        self.assertFalse(self.line_channel.company_id)

    def test_secrets_are_hidden_from_operators(self):
        channel = self.line_channel.with_user(self.operator)
        self.assertEqual(channel.name, "Osaka Store")
        for field in ("channel_secret", "access_token", "channel_number", "webhook_url", "webhook_registered_url",
                      "check_report"):
            self.assertNotIn(field, channel.fields_get())
            with self.assertRaises(AccessError):
                channel.read([field])
        self.assertTrue(self.line_channel.with_user(self.manager).channel_secret)

    def test_operators_cannot_change_channels(self):
        with self.assertRaises(AccessError):
            self.line_channel.with_user(self.operator).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["line.channel"].with_user(self.operator).create({
                "name": "Mine", "channel_number": "1", "channel_secret": "x"})

    def test_operator_can_still_use_the_channel_to_reach_line(self):
        # Sending as an operator needs the credentials, read with sudo in one place only.
        info = self.line_channel.with_user(self.operator)._line_client().bot_info()
        self.assertEqual(info["displayName"], "Osaka Store")

    def _conversation_with_answer(self, channel, name):
        """A customer writes to ``channel`` (a webhook event) and a manager answers (an outgoing message)."""
        conversation = self.receive(self.new_customer(name), channel=channel,
                                    emu_channel={"channel_id": channel.channel_number})
        conversation.with_user(self.manager).message_post(
            body=f"Hello {name}", message_type="comment", subtype_xmlid="mail.mt_comment")
        return conversation

    def test_webhook_events_and_outgoing_messages_stay_in_their_company(self):
        osaka = self._conversation_with_answer(self.line_channel, "Osaka customer")
        kyoto = self._conversation_with_answer(self.kyoto_channel, "Kyoto customer")
        for model in ("line.event", "line.message"):
            records = self.env[model].search([("channel_id", "in", (self.line_channel | self.kyoto_channel).ids)])
            osaka_records = records.filtered(lambda r: r.channel_id == self.line_channel)
            kyoto_records = records - osaka_records
            self.assertTrue(osaka_records and kyoto_records, f"{model}: one per company")
            self.assertEqual(self.env[model].with_user(self.kyoto_manager).search([("id", "in", records.ids)]),
                             kyoto_records, f"{model}: company B's manager sees company B's only")
            self.assertEqual(
                self.env[model].with_user(self.manager).with_context(allowed_company_ids=self.company.ids).search(
                    [("id", "in", records.ids)]), osaka_records, f"{model}: working in company A, A's only")
            with self.assertRaises(AccessError):
                osaka_records.with_user(self.kyoto_manager).read(["state"])
        self.assertEqual(self.env["line.message"].search([("conversation_id", "in", (osaka | kyoto).ids)]).mapped(
            "conversation_id"), osaka | kyoto)

    def test_line_managers_have_the_channels_menu_and_operators_do_not(self):
        menu = self.env.ref("line_connector.line_channel_menu")
        self.assertEqual(menu.parent_id, self.env.ref("mail.menu_configuration"))
        self.assertEqual(menu.parent_id.parent_id, self.env.ref("mail.menu_root_discuss"))
        Menu = self.env["ir.ui.menu"]
        visible = Menu.with_user(self.manager)._visible_menu_ids()
        self.assertTrue({menu.id, menu.parent_id.id, menu.parent_id.parent_id.id} <= visible,
                        "Discuss > Configuration > LINE Channels")
        self.assertNotIn(menu.id, Menu.with_user(self.operator)._visible_menu_ids())
        self.assertIn(self.env.ref("line_connector.line_conversation_menu").id,
                      Menu.with_user(self.operator)._visible_menu_ids())

    def test_settings_show_the_line_block_to_an_admin(self):
        admin = self.env.ref("base.user_admin")
        arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('id="line_connector"', arch)
        self.assertIn("LINE Official Accounts", arch)
        self.assertIn(f'name="{self.env.ref("line_connector.line_channel_action").id}"', arch,
                      "the block links to the channels")
        settings_only = new_test_user(self.env, "settings_admin", groups="base.group_user,base.group_system")
        arch = self.env["res.config.settings"].with_user(settings_only).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('id="line_connector"', arch, "the block is for LINE managers")
