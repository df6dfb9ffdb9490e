import re

from markupsafe import Markup

from odoo import fields, models, tools
from odoo.tools.mail import html_to_inner_content

from .. import const

_ALT = re.compile(r'<img[^>]*\balt="([^"]*)"')


class LineConversationPreview(models.AbstractModel):
    """The last message of each LINE conversation, for the lists (as LINE's own chat list shows).
    Mixed into discuss.channel.

    Computed for the records shown, in one query (a page of 80 conversations is 80 index look-ups
    on mail.message's (model, res_id, id)): nothing is written on the conversation per message.
    """

    _name = "line.conversation.preview"
    _description = "LINE Conversation Preview"

    line_last_message_preview = fields.Char("Last Message", compute="_compute_line_last_message")
    line_last_message_date = fields.Datetime("Last Message On", compute="_compute_line_last_message")

    def _compute_line_last_message(self):
        last = {}
        ids = [channel_id for channel_id in self.ids if channel_id]
        if ids:
            self.env["mail.message"].flush_model(["model", "res_id", "message_type", "body", "date"])
            self.env.cr.execute(tools.SQL(
                """SELECT c.id, m.body, m.date,
                          (SELECT string_agg(a.name, ', ') FROM message_attachment_rel r
                             JOIN ir_attachment a ON a.id = r.attachment_id WHERE r.message_id = m.id)
                     FROM unnest(%s::int[]) AS c(id)
                     CROSS JOIN LATERAL (
                        SELECT id, body, date FROM mail_message
                         WHERE model = 'discuss.channel' AND res_id = c.id AND message_type = 'comment'
                         ORDER BY id DESC LIMIT 1) m""", ids))
            last = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for channel in self:
            body, date, files = last.get(channel.id) or (None, False, None)
            channel.line_last_message_date = date
            channel.line_last_message_preview = self._line_preview_text(body, files) if date else False

    def _line_preview_text(self, body, files):
        # stored bodies are Odoo's own, sanitized when posted
        text = html_to_inner_content(Markup(body)) if body else ""
        if not text and body:
            text = " ".join(_ALT.findall(str(body)))  # a sticker says what it is
        if not text and files:
            text = "📎 " + files
        text = " ".join(text.split())
        return text if len(text) <= const.PREVIEW_LENGTH else text[:const.PREVIEW_LENGTH - 1] + "…"
