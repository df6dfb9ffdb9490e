import requests

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LineConversationCase


@tagged("post_install", "-at_install")
class TestDisconnect(LineConversationCase):
    """A LINE manager turns a channel off: nothing goes out, what comes in waits, the history stays,
    and Reconnect picks up what LINE sent meanwhile."""

    first_message = "Are you open?"

    def disconnect(self, user=None):
        wizard = self.env["line.disconnect.wizard"].with_user(user or self.manager).create(
            {"channel_ids": [(6, 0, self.line_channel.ids)]})
        counts = (wizard.queued_message_count, wizard.unprocessed_event_count)
        wizard.action_disconnect()
        self.env.flush_all()  # committed, in real life, before LINE's next request
        return counts

    def test_disconnect_holds_everything_and_reconnect_resumes(self):
        # An answer is queued and a customer's message is not processed yet when the manager disconnects.
        self.conversation.with_user(self.operator).message_post(
            body="Yes, until 6 pm", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Great, and tomorrow?")
        self.assertEqual(self.disconnect(), (1, 1), "the wizard says what is waiting")
        self.assertFalse(self.line_channel.active)
        ledger = self.env["line.message"].search([("conversation_id", "=", self.conversation.id)])
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_disconnected"))
        # LINE still sends: the webhook answers as for an archived channel, and keeps the event.
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Hello?")
        self.env["line.event"]._cron_process_events()
        self.env["line.message"]._cron_send()
        self.assertFalse(self.emu.sent(user_id=self.customer["user_id"]), "nothing went out")
        bodies = " ".join(self.conversation.message_ids.mapped("body"))
        self.assertNotIn("tomorrow", bodies)
        self.assertIn("Are you open?", bodies, "the history is readable")
        self.assertIn(self.conversation, self.env["discuss.channel"].with_user(self.operator).search(
            [("channel_type", "=", "line")]))
        notice = self.conversation.with_user(self.operator)._line_store_values()["line_composer_notice"]
        self.assertIn("disconnected", notice)
        # Reconnect: what LINE sent meanwhile appears, in order; the failed answer can be resent.
        self.line_channel.with_user(self.manager).action_unarchive()
        self.env["line.event"]._cron_process_events()
        bodies = self.conversation.message_ids.sorted("id").mapped("body")
        self.assertLess(next(i for i, b in enumerate(bodies) if "tomorrow" in b),
                        next(i for i, b in enumerate(bodies) if "Hello?" in b))
        self.conversation.with_user(self.operator).line_resend_message(ledger.mail_message_id.id)
        self.env["line.message"]._cron_send()
        texts = [m.get("text") for s in self.emu.sent(user_id=self.customer["user_id"]) for m in s["messages"]]
        self.assertEqual(texts, ["Yes, until 6 pm"])

    def test_the_webhook_of_a_disconnected_channel_still_answers_200(self):
        self.disconnect()
        response = requests.post(self.line_channel.webhook_url, data=b'{"destination": "x", "events": []}',
                                 headers={"X-Line-Signature": "wrong"}, timeout=10)
        self.assertEqual(response.status_code, 401, "its signature is still checked")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "still there?")
        deliveries = self.emu.deliveries(channel_id=self.channel_id)
        self.assertEqual(deliveries[-1]["status_code"], 200)

    def test_archiving_disconnects_too(self):
        self.conversation.with_user(self.operator).message_post(
            body="Queued", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Not processed yet")
        self.line_channel.with_user(self.manager).action_archive()
        self.env["line.event"]._cron_process_events()
        self.assertNotIn("Not processed yet", " ".join(self.conversation.message_ids.mapped("body")))
        ledger = self.env["line.message"].search([("conversation_id", "=", self.conversation.id)])
        self.assertEqual(ledger.failure_type, "line_disconnected")

    def test_only_a_line_manager_disconnects(self):
        with self.assertRaises(AccessError):
            self.disconnect(self.operator)
        with self.assertRaises(AccessError):
            self.line_channel.with_user(self.operator).action_unarchive()
        self.assertTrue(self.line_channel.active)
