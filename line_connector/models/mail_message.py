from markupsafe import Markup

from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    line_message_id = fields.Char("LINE Message ID", index="btree_not_null", readonly=True, copy=False)
    line_mark_as_read_token = fields.Char(readonly=True, copy=False, groups="base.group_system")
    line_sticker = fields.Char(
        "LINE Sticker", readonly=True, copy=False, help="package:sticker, when sent as a sticker.")
    line_event_timestamp = fields.Float(
        "LINE Timestamp (ms)", digits=(16, 0), readonly=True, copy=False,
        help="When LINE says the message was sent or last edited.")
    line_channel_id = fields.Many2one("line.channel", "LINE Account", compute="_compute_line_channel_id",
                                      help="The Official Account of the LINE conversation the message is in.")
    line_template_id = fields.Many2one(
        "line.template", "LINE Template", ondelete="set null",
        help="The template this message was written from: its quick replies go with it to LINE.")

    def _compute_line_channel_id(self):
        ids = {message.res_id for message in self if message.model == "discuss.channel"}
        # As the user: a message's conversation is one they may read (the history lists no other).
        conversations = self.env["discuss.channel"].search([("id", "in", list(ids)), ("channel_type", "=", "line")])
        accounts = {conversation.id: conversation.line_channel_id for conversation in conversations}
        for message in self:
            message.line_channel_id = (accounts.get(message.res_id, False)
                                       if message.model == "discuss.channel" else False)
    line_author_name = fields.Char("Written By", compute="_compute_line_history")
    line_history_body = fields.Html("LINE Message Shown", compute="_compute_line_history", sanitize=False)

    def _compute_line_history(self):
        """A contact's LINE history reads as the conversation did: people by their own name (staff
        are not "Company, Name"), pictures as pictures, other files as links."""
        for message in self:
            message.line_author_name = message.author_id.name or message.author_guest_id.name or False
            files = Markup().join(
                Markup('<img src="/web/image/%s?width=160" alt="%s" loading="lazy" class="d-block mt-1 rounded" '
                       'style="max-width: 160px; max-height: 120px;"/>') % (file.id, file.name)
                if (file.mimetype or "").startswith("image/") else
                Markup('<a class="d-block" href="/web/content/%s?download=true">📎 %s</a>') % (file.id, file.name)
                for file in message.attachment_ids)
            message.line_history_body = (message.body or Markup()) + files
