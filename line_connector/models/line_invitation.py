import base64
import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const, utils

_GUARDED = frozenset({"partner_id", "code", "state", "identity_id", "expiry"})


def _new_code(_model=None):
    return "".join(secrets.choice(const.INVITATION_CODE_ALPHABET) for _i in range(const.INVITATION_CODE_LENGTH))


class LineInvitation(models.Model):
    """A personal invitation to a contact: a QR code and link that open the chat with the Official
    Account with a one-time code already typed.

    The code says who the contact hoped to be, not who sends it: anyone it was forwarded to can send
    it. So a code received binds no one by itself: the operator sees "this may be <contact>" and
    links with a click, unless an admin chose to bind on the code alone (Settings, with the risk
    stated). Codes are single use and expire.
    """

    _name = "line.invitation"
    _description = "LINE Invitation"
    _order = "id desc"

    partner_id = fields.Many2one("res.partner", "Contact", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    channel_id = fields.Many2one("line.channel", "LINE Channel", required=True, ondelete="cascade",
                                 domain=[("bot_basic_id", "!=", False)])
    code = fields.Char("Invitation Code", readonly=True, copy=False, default=_new_code, index=True)
    code_text = fields.Char("Code", compute="_compute_link")
    state = fields.Selection(const.INVITATION_STATES, default="open", required=True, readonly=True)
    expiry = fields.Datetime("Valid Until", readonly=True, default=lambda self: fields.Datetime.now() + timedelta(
        days=const.INVITATION_DAYS))
    identity_id = fields.Many2one("line.identity", "Sent By", readonly=True, ondelete="set null",
                                  help="The LINE customer who sent the code (maybe not the contact: a code can "
                                       "be forwarded).")
    url = fields.Char("Invitation Link", compute="_compute_link")
    qr = fields.Binary("QR Code", compute="_compute_link")
    qr_filename = fields.Char(compute="_compute_link")

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "Each invitation has a code of its own."),
    ]

    @api.depends("code", "channel_id.bot_basic_id", "partner_id.lang")
    def _compute_link(self):
        for invitation in self:
            invitation.code_text = f"LINE-{invitation.code[:5]}-{invitation.code[5:]}" if invitation.code else False
            text = invitation.with_context(lang=invitation.partner_id.lang or self.env.lang).env._(
                "My invitation code: %s", invitation.code_text)
            invitation.url = utils.oa_message_url(invitation.channel_id.bot_basic_id, text)
            invitation.qr = base64.b64encode(utils.qr_png(invitation.url)) if invitation.url else False
            invitation.qr_filename = f"line-invitation-{invitation.code}.png"

    @api.model_create_multi
    def create(self, vals_list):
        # A new invitation waits for its own random code: nobody chooses it, nor who sent it.
        if not self.env.su:
            vals_list = [{k: v for k, v in vals.items() if k not in _GUARDED - {"partner_id"}} for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        # What the code binds is the integration's: changed by the actions below only.
        if _GUARDED.intersection(vals) and not self.env.su:
            raise AccessError(self.env._("An invitation's contact, code and state change through its actions only."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # A code arrives in a customer's message
    # ------------------------------------------------------------------

    @api.model
    def _on_code(self, event, sender, code):
        """A customer sent an invitation code: the notes saying who it may be (or binding them, if the
        admin chose so). A code is spent by the first customer who sends it."""
        conversation = event.conversation_id
        if not conversation or conversation.line_chat_id or not sender:
            return []
        invitation = self.search([("code", "=", code), ("channel_id", "=", event.channel_id.id)], limit=1)
        if not invitation or invitation.state == "cancelled":
            return [self.env._("%s sent an invitation code that matches no invitation of this account: nothing "
                               "was linked.", sender.name)]
        if invitation.state != "open":
            return [self.env._("%s sent an invitation code that was already used: nothing was linked.",
                               sender.name)]
        if invitation.expiry < fields.Datetime.now():
            return [self.env._("%s sent an invitation code that has expired: nothing was linked.", sender.name)]
        invitation.write({"state": "received", "identity_id": sender.id})
        auto = self.env["ir.config_parameter"].sudo().get_param(const.INVITATION_AUTO_LINK_PARAM)
        if auto and not sender.partner_id:
            invitation._link()
            return []
        return [Markup("%s <a href='#' data-oe-model='line.invitation' data-oe-id='%s'>%s</a>") % (
            self.env._("This may be %(contact)s: %(name)s sent the code of their personal invitation.",
                       contact=invitation.partner_id.name, name=sender.name),
            invitation.id, self.env._("Open the invitation to link them"))]

    def _link(self):
        self.write({"state": "linked"})
        self.identity_id._link_partner(self.partner_id)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_line_link(self):
        """Link the LINE customer who sent the code to the invitation's contact (one click)."""
        self.ensure_one()
        self.check_access("write")
        self.identity_id.check_access("write")
        if self.state != "received" or not self.identity_id:
            raise UserError(self.env._("No LINE customer sent this invitation's code yet."))
        # sudo: line.invitation - its state is the integration's, changed after the checks above
        self.sudo()._link()
        return True

    def action_line_cancel(self):
        self.check_access("write")
        # sudo: line.invitation - its state is the integration's, changed after the checks above
        self.filtered(lambda i: i.state in ("open", "received")).sudo().write({"state": "cancelled"})
        return True

    @api.model
    def _invite(self, partner):
        """Invite on LINE: a personal invitation of ``partner``, on the first LINE channel the user may use."""
        partner.check_access("read")
        if not self.env.user.has_group("line_connector.group_line_operator"):
            raise AccessError(self.env._("Only LINE operators can invite contacts on LINE."))
        channel = self.env["line.channel"].search([("bot_basic_id", "!=", False)], limit=1)
        if not channel:
            raise UserError(self.env._("No LINE channel is ready: check a channel's connection first."))
        invitation = self.create({"partner_id": partner.id, "channel_id": channel.id})
        return {"type": "ir.actions.act_window", "res_model": "line.invitation", "res_id": invitation.id,
                "views": [(False, "form")], "target": "new", "name": self.env._("Invite on LINE")}

    def action_line_print(self):
        self.check_access("read")
        return self.env.ref("line_connector.line_invitation_report").report_action(self)
