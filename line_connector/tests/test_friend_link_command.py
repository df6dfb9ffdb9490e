from odoo.tests import tagged

from .common import LineConversationCase


@tagged("post_install", "-at_install")
class TestFriendLinkCommand(LineConversationCase):
    """``/friendlink`` in a LINE conversation sends the customer an account's add-friend link."""

    first_message = "Which account is Kyoto's?"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kyoto, cls.emu_kyoto = cls._make_channel("Kyoto Store", company_id=cls.other_company.id)
        (cls.line_channel | cls.kyoto).action_check_connection()  # LINE gives each its basic ID

    def command(self, body, user=None):
        self.conversation.with_user(user or self.operator).execute_command_line_friend_link(body=body)
        self.env["line.message"]._cron_send()
        return self.emu.sent(user_id=self.customer["user_id"])

    def test_the_conversations_own_link(self):
        sent = self.command("/friendlink")
        self.assertEqual(len(sent), 1)
        self.assertIn(self.line_channel.friend_url, sent[0]["messages"][0]["text"])
        self.assertIn("https://line.me/R/ti/p/%40", sent[0]["messages"][0]["text"])

    def test_another_channels_link_with_its_qr_code(self):
        sent = self.command(f"/friendlink qr {self.kyoto.bot_basic_id}", user=self.manager)
        kinds = [m["type"] for s in sent for m in s["messages"]]
        self.assertEqual(kinds, ["text", "image"])
        self.assertIn(self.kyoto.friend_url, sent[0]["messages"][0]["text"])

    def test_a_channel_the_operator_cannot_see_is_not_offered(self):
        sent = self.command("/friendlink Kyoto Store")  # the operator works for Osaka only
        self.assertFalse(sent, "nothing sent: the command lists what is available instead")

    def test_the_command_in_discuss(self):
        self.start_tour("/odoo/discuss", "line_connector_friend_link", login="line_operator")
        self.env["line.message"]._cron_send()
        texts = [m.get("text") for s in self.emu.sent(user_id=self.customer["user_id"]) for m in s["messages"]]
        self.assertEqual(texts, [f"Add {self.line_channel.bot_display_name} as a friend on LINE: "
                                 f"{self.line_channel.friend_url}"])
