from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import utils


class LineTemplate(models.Model):
    """A message for LINE customers with placeholders, rendered per conversation.

    Placeholders use Odoo's inline templates on the conversation (``object``):
    ``{{ object.line_identity_id.name }}`` (the LINE name), ``{{ object.line_partner_id.name }}``
    (the linked contact), ``{{ user.name }}`` (the operator), ``{{ user.company_id.name }}``.
    """

    _name = "line.template"
    _inherit = ["mail.render.mixin"]
    _description = "LINE Template"
    _order = "sequence, name"
    # Like mail.template: written by LINE managers, rendered for any operator.
    _unrestricted_rendering = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char("Shortcut", required=True, help="Send it in a LINE conversation with /template <shortcut>.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    body = fields.Text(required=True, translate=True, render_engine="inline_template")
    line_channel_ids = fields.Many2many(
        "line.channel", string="LINE Channels", help="Leave empty to offer it on every channel.")

    _sql_constraints = [("code_unique", "UNIQUE(code)", "Two LINE templates cannot share a shortcut.")]

    @api.depends()
    def _compute_render_model(self):
        self.render_model = "discuss.channel"

    def _render_for(self, conversation):
        """The template's text for one conversation, in the customer's language, with the current
        operator as ``user``."""
        self.ensure_one()
        return self._render_field("body", conversation.ids, compute_lang=True)[conversation.id]

    def _render_lang(self, res_ids, engine="inline_template"):
        """The customer's language: their contact's, else the one LINE reports (when Odoo has it).

        A language set on the template (an inline template, as on mail templates) wins.
        """
        if self.lang:
            return super()._render_lang(res_ids, engine=engine)
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        langs = {}
        for conversation in self.env["discuss.channel"].browse(res_ids):
            identity = conversation.line_identity_id
            lang = identity.partner_id.lang or utils.lang_code(identity.language)
            langs[conversation.id] = lang if lang in installed else False
        return langs

    @api.model
    def _execute_command(self, conversation, body):
        """``/template <shortcut>`` in ``conversation``: render the template for its customer and send it."""
        parts = (body or "").split(maxsplit=1)
        code = parts[1].strip() if len(parts) > 1 else ""
        templates = self.env["line.template"].search([
            "|", ("line_channel_ids", "=", False), ("line_channel_ids", "in", conversation.line_channel_id.ids)])
        template = templates.filtered(lambda t: t.code == code)[:1]
        if not template:
            listing = Markup("<br/>").join(Markup("<b>/template %s</b>: %s") % (t.code, t.name) for t in templates)
            self.env.user._bus_send_transient_message(conversation, Markup("%s<br/>%s") % (
                self.env._("Unknown LINE template %r. Available:", code or "") if code else
                self.env._("LINE templates:"),
                listing or self.env._("none yet (Discuss > Configuration > LINE Templates)")))
            return
        text = template._render_for(conversation)
        if not text.strip():
            raise UserError(self.env._("LINE template %s renders empty text for this conversation.", template.name))
        conversation.message_post(body=text, message_type="comment", subtype_xmlid="mail.mt_comment",
                                  line_template_id=template.id)
