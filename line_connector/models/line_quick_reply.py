from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import const


class LineTemplateQuickReply(models.Model):
    """A LINE quick-reply button under a template's message: the customer taps it and its text
    arrives as their own message (LINE's message action)."""

    _name = "line.template.quick.reply"
    _description = "LINE Quick Reply Button"
    _order = "sequence, id"

    template_id = fields.Many2one("line.template", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    label = fields.Char(required=True, translate=True, help="The button, at most 20 characters (LINE's limit).")
    text = fields.Char(
        "Sends", translate=True,
        help="What the customer's tap sends as their message (at most 300 characters); the label if empty.")

    @api.constrains("label", "text")
    def _check_line_limits(self):
        for button in self:
            if len(button.label or "") > const.MAX_QUICK_REPLY_LABEL:
                raise ValidationError(self.env._(
                    "LINE shows at most %(limit)s characters on a quick-reply button: %(label)s",
                    limit=const.MAX_QUICK_REPLY_LABEL, label=button.label))
            if len(button.text or "") > const.MAX_QUICK_REPLY_TEXT:
                raise ValidationError(self.env._(
                    "A quick-reply button sends at most %(limit)s characters: %(label)s",
                    limit=const.MAX_QUICK_REPLY_TEXT, label=button.label))

    def _prepare_line_item(self):
        """LINE's QuickReplyItem with a message action."""
        self.ensure_one()
        return {"type": "action", "action": {"type": "message", "label": self.label, "text": self.text or self.label}}


class LineTemplate(models.Model):
    _inherit = "line.template"

    quick_reply_ids = fields.One2many(
        "line.template.quick.reply", "template_id", "Quick Replies", copy=True,
        help="Buttons LINE shows under the message (at most 13); they go when the customer taps one or writes.")

    @api.constrains("quick_reply_ids")
    def _check_quick_reply_count(self):
        for template in self:
            if len(template.quick_reply_ids) > const.MAX_QUICK_REPLY_ITEMS:
                raise ValidationError(self.env._(
                    "LINE shows at most %s quick-reply buttons under a message.", const.MAX_QUICK_REPLY_ITEMS))

    @api.model
    def line_get_picker(self, conversation_id):
        """The composer's template picker: the templates of the conversation's channel, each with
        its text rendered for this customer (their language, their names, the operator)."""
        conversation = self.env["discuss.channel"].browse(conversation_id)
        conversation.check_access("read")
        templates = self.search([
            "|", ("line_channel_ids", "=", False), ("line_channel_ids", "in", conversation.line_channel_id.ids)])
        return [{
            "id": template.id,
            "name": template.name,
            "code": template.code,
            "text": template._render_for(conversation),
            "quick_replies": template.quick_reply_ids.mapped("label"),
        } for template in templates]


class LineMessage(models.Model):
    _inherit = "line.message"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _prepare_line_messages(self, message):
        """A message written from a template with quick replies carries them on its last LINE message."""
        objects = super()._prepare_line_messages(message)
        # sudo: line.template - the buttons of the template the operator chose
        buttons = message.line_template_id.sudo().quick_reply_ids
        if objects and buttons:
            items = [button._prepare_line_item() for button in buttons[:const.MAX_QUICK_REPLY_ITEMS]]
            objects[-1] = dict(objects[-1], quickReply={"items": items})
        return objects
