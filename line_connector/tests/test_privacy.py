import base64
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .. import const
from .common import LineConversationCase

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@tagged("post_install", "-at_install")
class TestPrivacy(LineConversationCase):
    """What Odoo keeps of a LINE customer, and what it forgets."""

    first_message = "My address is 1-2-3 Umeda"

    def events(self):
        return self.env["line.event"].search([("line_user_id", "=", self.customer["user_id"])])

    def process(self):
        self.env["line.event"]._cron_process_events()

    def test_an_unsent_message_leaves_no_words_and_no_token_behind(self):
        first = self.events().filtered(lambda e: e.event_type == "message")
        self.assertIn("Umeda", first.payload)
        self.emu.unsend(self.channel_id, self.customer["user_id"], first.line_message_id)
        self.process()
        self.assertNotIn("Umeda", first.payload)
        self.assertNotIn("replyToken", first.payload)
        self.assertNotIn("markAsReadToken", first.payload)
        self.assertFalse(first.reply_token)
        message = self.env["mail.message"].search([("line_message_id", "=", first.line_message_id)])
        self.assertFalse(message.sudo().line_mark_as_read_token)
        self.assertNotIn("Umeda", message.body)

    def test_a_reply_token_is_erased_once_used(self):
        event = self.events().filtered(lambda e: e.event_type == "message")
        self.assertTrue(event.reply_token)
        self.conversation.with_user(self.operator).message_post(
            body="Thank you", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        self.assertEqual(self.env["line.message"].search([("conversation_id", "=", self.conversation.id)]).method,
                         "reply")
        self.assertFalse(event.reply_token)

    def test_old_payloads_and_expired_tokens_are_purged_and_redeliveries_still_recognised(self):
        old = self.events().filtered(lambda e: e.event_type == "message")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "fresh")
        self.process()
        fresh = self.events().filtered(lambda e: e.event_type == "message") - old
        self.env.cr.execute("UPDATE line_event SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(days=const.EVENT_RETENTION_DAYS + 1), old.id))
        self.env.cr.execute("UPDATE line_event SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(minutes=30), fresh.id))
        self.env["line.event"].invalidate_model()
        self.env["line.privacy"]._cron_purge()
        self.assertFalse(old.payload)
        self.assertFalse(old.reply_token)
        self.assertIn("fresh", fresh.payload, "within the retention period")
        self.assertFalse(fresh.reply_token, "LINE honours no reply token after 20 minutes")
        self.assertEqual(self.env["line.event"]._store(self.line_channel, [
            {"type": "message", "webhookEventId": old.webhook_event_id, "timestamp": 1,
             "source": {"type": "user", "userId": self.customer["user_id"]}}]), 0, "a redelivery is still known")

    def test_forget_this_customer_erases_everything_but_the_contact_and_leaves_a_note(self):
        partner = self.env["res.partner"].create({"name": "Hanako Yamada"})
        self.emu.send_image(self.channel_id, self.customer["user_id"], PNG)
        self.process()
        self.conversation.with_user(self.operator).message_post(
            body="Got it", message_type="comment", subtype_xmlid="mail.mt_comment")
        identity = self.conversation.line_identity_id
        guest = identity.guest_id
        identity._link_partner(partner)
        messages = self.conversation.message_ids
        attachments = messages.attachment_ids
        self.assertTrue(attachments)
        ledger = self.env["line.message"].search([("conversation_id", "=", self.conversation.id)])
        events = self.events()
        with self.assertRaises(AccessError):
            identity.with_user(self.operator).action_line_forget()
        identity.with_user(self.manager).action_line_forget()
        for records in (identity, guest, self.conversation, messages, attachments, ledger, events):
            self.assertFalse(records.exists(), records._name)
        self.assertTrue(partner.exists(), "the contact stays")
        note = self.env["line.erasure"].search([("partner_id", "=", partner.id)])
        self.assertEqual((note.name, note.erased_by_id), ("Hanako", self.manager))

    def test_deleting_a_customer_leaves_nothing_of_them(self):
        identity = self.conversation.line_identity_id
        guest, messages, events = identity.guest_id, self.conversation.message_ids, self.events()
        identity.unlink()
        for records in (guest, self.conversation, messages, events):
            self.assertFalse(records.exists(), records._name)

    def test_keeping_payloads_for_ever_is_a_setting_that_holds(self):
        """0 days means "kept": Odoo would drop a 0 setting and bring the 30 days back."""
        old = self.events().filtered(lambda e: e.event_type == "message")
        self.env["res.config.settings"].create({"line_event_retention_days": 0}).execute()
        self.assertEqual(self.env["res.config.settings"].create({}).line_event_retention_days, 0,
                         "the settings page shows 0 again")
        self.env.cr.execute("UPDATE line_event SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(days=const.EVENT_RETENTION_DAYS + 1), old.id))
        self.env["line.event"].invalidate_model()
        self.env["line.privacy"]._cron_purge()
        self.assertTrue(old.payload, "kept")
