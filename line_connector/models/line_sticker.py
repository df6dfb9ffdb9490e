from odoo import api, fields, models

from .. import const
from ..tools import render


class LineSticker(models.Model):
    """A sticker bots may send: LINE accepts only those of its published list of sendable stickers."""

    _name = "line.sticker"
    _description = "LINE Sticker"
    _order = "sequence, package_id, sticker_id"

    name = fields.Char(required=True, translate=True)
    package_id = fields.Char(required=True)
    sticker_id = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    image_url = fields.Char(compute="_compute_image_url")

    _sql_constraints = [("sticker_unique", "UNIQUE(package_id, sticker_id)", "This sticker is already listed.")]

    @api.depends("sticker_id")
    def _compute_image_url(self):
        for sticker in self:
            sticker.image_url = const.STICKER_IMAGE_URL.format(sticker_id=sticker.sticker_id)

    def action_send(self):
        """Send this sticker in the conversation the picker was opened from."""
        self.ensure_one()
        conversation = self.env["discuss.channel"].browse(self.env.context.get("line_conversation_id")).exists()
        if not conversation:
            return {"type": "ir.actions.act_window_close"}
        body = render.sticker(self.env, self.sticker_id, self.name)
        conversation.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment",
                                  line_sticker=f"{self.package_id}:{self.sticker_id}")
        return {"type": "ir.actions.act_window_close"}
