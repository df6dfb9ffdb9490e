import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .. import const

# What an unsent message's stored event keeps: enough to know a message was there, nothing it said.
_UNSENT_KEEPS = ("id", "type")
_TOKENS = ("replyToken", "markAsReadToken", "quoteToken")


class LinePrivacy(models.AbstractModel):
    """What the integration forgets, and when: an unsent message's words, used or expired tokens,
    the payloads of events processed long ago, and a whole customer on a LINE manager's request."""

    _name = "line.privacy"
    _description = "LINE Privacy"

    @api.model
    def _scrub_unsent(self, channel, line_message_id):
        """The customer unsent a message: its stored events (the message, its edits) keep no content
        and no token, and its Discuss message no mark-as-read token."""
        events = self.env["line.event"].search([("channel_id", "=", channel.id),
                                                ("line_message_id", "=", line_message_id),
                                                ("event_type", "in", ("message", "messageEdited"))])
        for event in events.filtered("payload"):
            data = event._data()
            message = data.get("message") if isinstance(data.get("message"), dict) else {}
            data["message"] = {key: message[key] for key in _UNSENT_KEEPS if key in message}
            for token in _TOKENS:
                data.pop(token, None)
            event.write({"payload": json.dumps(data, ensure_ascii=False, sort_keys=True), "reply_token": False})
        # sudo: mail.message - the read tokens are kept out of users' sight
        self.env["mail.message"].sudo().search([
            ("line_message_id", "=", line_message_id), ("model", "=", "discuss.channel"),
            ("line_mark_as_read_token", "!=", False)]).line_mark_as_read_token = False

    @api.model
    def _cron_purge(self):
        """Daily: reply tokens LINE no longer honours, and the payloads of events processed more than
        the retention period ago (the event itself stays: LINE's redeliveries are still recognised)."""
        now = fields.Datetime.now()
        self.env["line.event"].flush_model()
        self.env.cr.execute(SQL(
            "UPDATE line_event SET reply_token = NULL WHERE reply_token IS NOT NULL AND create_date < %s",
            now - timedelta(minutes=const.REPLY_TOKEN_MAX_AGE_MINUTES)))
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            const.EVENT_RETENTION_PARAM, const.EVENT_RETENTION_DAYS) or 0)
        if days > 0:
            limit = now - timedelta(days=days)
            self.env.cr.execute(SQL(
                "UPDATE line_event SET payload = NULL, reply_token = NULL "
                "WHERE state = 'done' AND payload IS NOT NULL AND create_date < %s", limit))
            self.env["mail.message"].flush_model()
            self.env.cr.execute(SQL(
                "UPDATE mail_message SET line_mark_as_read_token = NULL "
                "WHERE line_mark_as_read_token IS NOT NULL AND create_date < %s", limit))
        self.env["line.event"].invalidate_model(["payload", "reply_token"])
        self.env["mail.message"].invalidate_model(["line_mark_as_read_token"])

    @api.model
    def _forget(self, identities):
        """Erase LINE customers on a LINE manager's request, and say who erased whom and when."""
        if not self.env.su and not self.env.user.has_group("line_connector.group_line_manager"):
            raise AccessError(self.env._("Only LINE managers can erase LINE customers."))
        identities.check_access("unlink")
        # sudo: line.erasure - the note of the erasure is the integration's record
        self.env["line.erasure"].sudo().create([{
            "name": identity.name, "provider_name": identity.provider_name,
            "partner_id": identity.partner_id.id, "erased_by_id": self.env.uid,
        } for identity in identities])
        # sudo: line.identity - the erasure goes through every record that holds the customer
        identities.sudo().unlink()

    @api.model
    def _erase(self, identities):
        """Everything LINE told about these customers, and every conversation with them: messages,
        files, guests, events, outgoing messages. A linked contact stays."""
        conversations = identities.conversation_ids
        # sudo: mail.message, ir.attachment - the customer's words and files go with them
        messages = self.env["mail.message"].sudo().search([("model", "=", "discuss.channel"),
                                                           ("res_id", "in", conversations.ids)])
        self.env["ir.attachment"].sudo().search([
            "|", ("id", "in", messages.attachment_ids.ids),
            "&", ("res_model", "=", "discuss.channel"), ("res_id", "in", conversations.ids)]).unlink()
        messages.unlink()
        events = self.env["line.event"].sudo().search(["|", ("conversation_id", "in", conversations.ids), "&",
                                                        ("line_user_id", "in", identities.mapped("line_user_id")),
                                                        ("channel_id.provider_name", "in",
                                                         identities.mapped("provider_name"))])
        events.unlink()  # their outgoing messages lose their reply event; those of the conversations go with them
        guests = identities.guest_id
        conversations.sudo().unlink()
        guests.sudo().unlink()
