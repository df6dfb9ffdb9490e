import base64
import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .. import const
from .common import LineConversationCase, LineTransactionCase


@tagged("post_install", "-at_install")
class TestInvitation(LineTransactionCase):
    """"Invite on LINE": a contact's personal QR code and link; the code they send says who they may be,
    and binds no one without the operator's click (unless an admin chose otherwise)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.bot_basic_id = cls.emu_channel["basic_id"]
        cls.contact = cls.env["res.partner"].create({"name": "山田 花子", "street": "1-1 Umeda", "city": "Osaka"})

    def invite(self, contact=None, user=None):
        action = (contact or self.contact).with_user(user or self.operator).action_line_invite()
        return self.env["line.invitation"].browse(action["res_id"])

    def typed_text(self, invitation):
        """What LINE types in the chat when the customer opens the invitation's link or QR code."""
        return unquote(urlsplit(invitation.url).query)

    def notes(self, conversation):
        return conversation.message_ids.filtered(lambda m: m.message_type == "notification").mapped("body")

    def test_invitation_opens_the_chat_with_the_code_typed(self):
        invitation = self.invite()
        basic_id = self.emu_channel["basic_id"]
        self.assertTrue(invitation.url.startswith(f"https://line.me/R/oaMessage/{basic_id.replace('@', '%40')}/?"))
        self.assertIn(invitation.code_text, self.typed_text(invitation))
        self.assertTrue(re.fullmatch(const.INVITATION_CODE_PATTERN, invitation.code_text))
        self.assertTrue(re.search(const.INVITATION_CODE_PATTERN, f"コードは{invitation.code_text}です"))
        self.assertTrue(base64.b64decode(invitation.qr).startswith(b"\x89PNG"))
        self.assertGreater(invitation.expiry, fields.Datetime.now() + timedelta(days=const.INVITATION_DAYS - 1))
        # Each invitation its own code.
        self.assertNotEqual(self.invite().code, invitation.code)

    def test_code_sent_says_who_it_may_be_and_the_operator_links(self):
        invitation = self.invite()
        hanako = self.new_customer("はなこ")
        conversation = self.receive(hanako, self.typed_text(invitation))
        identity = conversation.line_identity_id
        self.assertFalse(identity.partner_id, "a code alone binds no one")
        self.assertIn("This may be 山田 花子", self.notes(conversation)[0])
        self.assertEqual((invitation.state, invitation.identity_id), ("received", identity))
        invitation.with_user(self.operator).action_line_link()
        self.assertEqual(identity.partner_id, self.contact)
        self.assertEqual(invitation.state, "linked")

    def test_reused_code_binds_nothing(self):
        invitation = self.invite()
        self.receive(self.new_customer("はなこ"), self.typed_text(invitation))
        mallory = self.new_customer("Mallory")
        conversation = self.receive(mallory, self.typed_text(invitation))
        self.assertIn("already used: nothing was linked", self.notes(conversation)[0])
        self.assertNotEqual(invitation.identity_id, conversation.line_identity_id)

    def test_expired_code_binds_nothing(self):
        invitation = self.invite()
        invitation.sudo().expiry = fields.Datetime.now() - timedelta(seconds=1)
        conversation = self.receive(self.new_customer("はなこ"), self.typed_text(invitation))
        self.assertIn("has expired: nothing was linked", self.notes(conversation)[0])
        self.assertEqual(invitation.state, "open")
        with self.assertRaises(UserError):
            invitation.with_user(self.operator).action_line_link()
        self.assertFalse(conversation.line_identity_id.partner_id)

    def test_guessed_code_binds_nothing_and_is_shown(self):
        self.invite()
        conversation = self.receive(self.new_customer("Mallory"), "My invitation code: LINE-AAAAA-BBBBB")
        self.assertIn("matches no invitation of this account", self.notes(conversation)[0])
        self.assertFalse(self.env["line.invitation"].search([("state", "!=", "open")]))

    def test_binding_on_the_code_alone_only_when_the_admin_says_so(self):
        """With the setting on, a forwarded code binds whoever sends it: the risk the setting states."""
        self.env["res.config.settings"].create({"line_invitation_auto_link": True}).execute()
        invitation = self.invite()
        forwarded_to = self.new_customer("Mallory")
        conversation = self.receive(forwarded_to, self.typed_text(invitation))
        self.assertEqual(conversation.line_identity_id.partner_id, self.contact)
        # A customer already linked to someone is never moved by a code.
        other = self.env["res.partner"].create({"name": "Other contact"})
        conversation.line_identity_id._link_partner(other)
        conversation = self.receive(forwarded_to, self.typed_text(self.invite()))
        self.assertEqual(conversation.line_identity_id.partner_id, other)
        self.assertIn("This may be 山田 花子", self.notes(conversation)[0])

    def test_who_may_invite_and_link(self):
        plain_user = new_test_user(self.env, "plain_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.invite(user=plain_user)
        invitation = self.invite()
        self.receive(self.new_customer("はなこ"), self.typed_text(invitation))
        # An operator of another company sees neither the customer nor the invitation.
        with self.assertRaises(AccessError):
            invitation.with_user(self.kyoto_operator).action_line_link()
        # Nobody sets what a code binds by hand.
        with self.assertRaises(AccessError):
            invitation.with_user(self.operator).write({"partner_id": self.operator.partner_id.id})
        made = self.env["line.invitation"].with_user(self.operator).create({
            "partner_id": self.contact.id, "channel_id": self.line_channel.id, "code": "AAAAABBBBB",
            "state": "received", "identity_id": invitation.identity_id.id})
        self.assertEqual((made.state, made.identity_id), ("open", self.env["line.identity"]))
        self.assertNotEqual(made.code, "AAAAABBBBB")
        self.assertFalse(invitation.identity_id.partner_id)

    def test_printed_letter_carries_the_qr_code_and_the_code(self):
        invitation = self.invite()
        html = self.env["ir.actions.report"]._render_qweb_html(
            "line_connector.report_line_invitation", invitation.ids)[0].decode()
        self.assertIn(invitation.code_text, html)
        self.assertIn("data:image/png;base64,", html)
        self.assertIn("1-1 Umeda", html)


@tagged("post_install", "-at_install")
class TestInvitationTour(LineConversationCase):
    """In the browser: the note in the conversation, the invitation, one click on Link."""

    def test_operator_links_from_the_conversation(self):
        self.line_channel.bot_basic_id = self.emu_channel["basic_id"]
        contact = self.env["res.partner"].create({"name": "Hanako Yamada"})
        invitation = self.env["line.invitation"].with_user(self.operator).browse(
            contact.with_user(self.operator).action_line_invite()["res_id"])
        self.emu.send_text(self.channel_id, self.customer["user_id"], f"My invitation code: {invitation.code_text}")
        self.env["line.event"]._cron_process_events()
        self.start_tour(f"/odoo/discuss?active_id=discuss.channel_{self.conversation.id}",
                        "line_connector_invitation_link", login="line_operator")
        self.assertEqual(self.conversation.line_identity_id.partner_id, contact)
