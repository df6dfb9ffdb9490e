from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import utils


class LineLinkWizard(models.TransientModel):
    """Say who a LINE customer is: an existing contact, or a new one made from their LINE profile."""

    _name = "line.link.wizard"
    _description = "Link a LINE Customer to a Contact"

    identity_id = fields.Many2one("line.identity", "LINE Customer", required=True, readonly=True)
    identity_name = fields.Char(related="identity_id.name")
    identity_image = fields.Image(related="identity_id.image_128")
    mode = fields.Selection(
        [("existing", "An existing contact"), ("new", "A new contact from the LINE profile")],
        default="existing", required=True)
    partner_id = fields.Many2one("res.partner", "Contact", compute="_compute_partner_id", store=True,
                                 readonly=False)
    new_partner_lang = fields.Char("Language", compute="_compute_new_partner")
    new_partner_note = fields.Char("Note", compute="_compute_new_partner")
    suggested_partner_ids = fields.Many2many("res.partner", compute="_compute_suggested_partner_ids",
                                             string="Contacts with a similar name")

    @api.depends("identity_id")
    def _compute_suggested_partner_ids(self):
        for wizard in self:
            wizard.suggested_partner_ids = wizard.identity_id._suggest_partners() if wizard.identity_id else False

    @api.depends("identity_id")
    def _compute_new_partner(self):
        """What the new contact gets from the LINE profile (as ``_create_partner_from_profile`` makes it)."""
        languages = dict(self.env["res.lang"].get_installed())
        for wizard in self:
            values = wizard.identity_id._partner_values_from_profile() if wizard.identity_id else {}
            wizard.new_partner_lang = languages.get(values.get("lang")) or self.env._("The company's language")
            wizard.new_partner_note = values.get("comment", False)

    @api.depends("suggested_partner_ids")
    def _compute_partner_id(self):
        for wizard in self:
            best = wizard.suggested_partner_ids[:1]
            similar = best and utils.name_similarity(best.name, wizard.identity_id.name) >= 0.8
            wizard.partner_id = wizard.partner_id or (best if similar else False)

    def action_link(self):
        self.ensure_one()
        if self.mode == "new":
            partner = self.identity_id._create_partner_from_profile()
        else:
            if not self.partner_id:
                raise UserError(self.env._("Choose the contact this LINE customer is."))
            partner = self.partner_id
            self.identity_id._link_partner(partner)
        return self._after_link(partner)

    def _after_link(self, partner):
        return {"type": "ir.actions.act_window_close"}
