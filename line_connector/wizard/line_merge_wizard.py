from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class LineMergeWizard(models.TransientModel):
    """"Same person": two LINE customers are one person, on one contact (名寄せ)."""

    _name = "line.merge.wizard"
    _description = "Merge LINE Customers"

    identity_id = fields.Many2one("line.identity", "LINE Customer", required=True, readonly=True)
    identity_name = fields.Char(related="identity_id.name")
    identity_image = fields.Image(related="identity_id.image_128")
    suggestion_ids = fields.One2many("line.merge.wizard.line", "wizard_id", "May Be the Same Person",
                                     compute="_compute_suggestion_ids", store=True, readonly=True)
    other_identity_id = fields.Many2one("line.identity", "Same Person As",
                                        domain="[('id', '!=', identity_id)]")
    partner_ids = fields.Many2many("res.partner", string="Contacts", compute="_compute_partner_ids")
    merges_contacts = fields.Boolean(compute="_compute_partner_ids")
    dst_partner_id = fields.Many2one(
        "res.partner", "Keep Contact", compute="_compute_dst_partner_id", store=True, readonly=False,
        domain="[('id', 'in', partner_ids)]",
        help="Both LINE customers are linked to a contact: the two contacts are merged into this one.")

    @api.depends("identity_id")
    def _compute_suggestion_ids(self):
        for wizard in self:
            identity = wizard.identity_id
            wizard.suggestion_ids = [Command.clear()] + [
                Command.create({"identity_id": other.id, "reasons": identity._line_resemblance_reasons(other)})
                for other in identity._line_similar_identities()]

    @api.depends("identity_id", "other_identity_id")
    def _compute_partner_ids(self):
        for wizard in self:
            wizard.partner_ids = (wizard.identity_id | wizard.other_identity_id).partner_id
            wizard.merges_contacts = len(wizard.partner_ids) == 2

    @api.depends("partner_ids")
    def _compute_dst_partner_id(self):
        for wizard in self:
            if wizard.dst_partner_id not in wizard.partner_ids or not wizard.dst_partner_id:
                wizard.dst_partner_id = wizard.identity_id.partner_id or wizard.partner_ids[:1]

    def action_merge(self):
        self.ensure_one()
        if not self.other_identity_id:
            raise UserError(self.env._("Choose the LINE customer who is the same person as %s.", self.identity_name))
        return self._merge(self.other_identity_id)

    def _merge(self, other):
        partner = self.identity_id._line_merge(other, dst_partner=self.dst_partner_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": partner.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }


class LineMergeWizardLine(models.TransientModel):
    _name = "line.merge.wizard.line"
    _description = "LINE Customer Who May Be the Same Person"

    wizard_id = fields.Many2one("line.merge.wizard", "Merge", required=True, ondelete="cascade")
    identity_id = fields.Many2one("line.identity", "LINE Customer", required=True, readonly=True)
    identity_image = fields.Image(related="identity_id.image_128")
    provider_name = fields.Char(related="identity_id.provider_name")
    partner_id = fields.Many2one(related="identity_id.partner_id", string="Contact")
    reasons = fields.Char("Why", readonly=True)

    def action_merge(self):
        """The operator's click on one suggestion: this customer is the same person."""
        self.ensure_one()
        wizard = self.wizard_id
        wizard.other_identity_id = self.identity_id
        return wizard._merge(self.identity_id)


class LineLinkWizard(models.TransientModel):
    """Linking a LINE customer also shows the LINE customers who may be the same person."""

    _inherit = "line.link.wizard"

    similar_identity_ids = fields.Many2many(related="identity_id.line_similar_identity_ids",
                                            string="LINE Customers Who May Be the Same Person")

    def action_open_merge_wizard(self):
        self.ensure_one()
        return self.identity_id.action_open_merge_wizard()
