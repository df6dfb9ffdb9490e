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
