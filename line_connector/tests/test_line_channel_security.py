from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestLineChannelSecurity(LineTransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kyoto_channel, _emu = cls._make_channel("Kyoto Store", company_id=cls.other_company.id)
        cls.shared_channel, _emu = cls._make_channel("Japan HQ", scope="shared")

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
        kyoto_emu = {"channel_id": self.kyoto_channel.line_channel_id}
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
        for field in ("channel_secret", "access_token", "line_channel_id", "webhook_url", "webhook_registered_url",
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
                "name": "Mine", "line_channel_id": "1", "channel_secret": "x"})

    def test_operator_can_still_use_the_channel_to_reach_line(self):
        # Sending as an operator needs the credentials, read with sudo in one place only.
        info = self.line_channel.with_user(self.operator)._line_client().bot_info()
        self.assertEqual(info["displayName"], "Osaka Store")
