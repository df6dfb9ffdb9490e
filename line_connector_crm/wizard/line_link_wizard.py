from odoo import fields, models
from odoo.exceptions import UserError


class LineLinkWizard(models.TransientModel):
    _inherit = "line.link.wizard"

    mode = fields.Selection(selection_add=[("new_lead", "A new lead"), ("lead", "An existing lead")],
                            ondelete={"new_lead": "set default", "lead": "set default"})
    lead_id = fields.Many2one("crm.lead")

    def action_link(self):
        self.ensure_one()
        if self.mode == "new_lead":
            lead = self.identity_id._create_lead()
            return self._open_lead(lead)
        if self.mode == "lead":
            if not self.lead_id:
                raise UserError(self.env._("Choose the lead of this LINE customer."))
            self.identity_id._link_lead(self.lead_id)
            if self.lead_id.partner_id and not self.identity_id.partner_id:
                self.identity_id._link_partner(self.lead_id.partner_id)
            return self._open_lead(self.lead_id)
        return super().action_link()

    def _open_lead(self, lead):
        return {"type": "ir.actions.act_window", "res_model": "crm.lead", "res_id": lead.id,
                "view_mode": "form", "views": [(False, "form")], "target": "current"}
