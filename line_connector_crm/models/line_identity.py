from odoo import Command, fields, models


class LineIdentity(models.Model):
    _inherit = "line.identity"

    lead_ids = fields.Many2many("crm.lead", "crm_lead_line_identity_rel", "identity_id", "lead_id", "Leads")

    def _create_lead(self):
        """A lead for this LINE customer, with what LINE tells about them."""
        self.ensure_one()
        lead = self.env["crm.lead"].create({
            "name": self.env._("LINE: %s", self.name),
            "contact_name": self.name,
            "partner_id": self.partner_id.id,
            "line_identity_ids": [Command.link(self.id)],
            "description": self.env._("From LINE (%s)", self.provider_name),
        })
        for conversation in self.conversation_ids:
            conversation._line_notify(
                self.env._("Lead %(lead)s created by %(user)s.", lead=lead.name, user=self.env.user.name))
        return lead

    def _link_lead(self, lead):
        """One more LINE customer on the lead: those already on it stay, with their history."""
        self.ensure_one()
        lead.line_identity_ids = [Command.link(self.id)]
        for conversation in self.conversation_ids:
            conversation._line_notify(
                self.env._("Linked to lead %(lead)s by %(user)s.", lead=lead.name, user=self.env.user.name))

    def _line_merge(self, other, dst_partner=None):
        """The same person's leads hold both LINE customers (those the user may change)."""
        partner = super()._line_merge(other, dst_partner=dst_partner)
        leads = (self | other).lead_ids.filtered(lambda lead: lead.has_access("write"))
        leads.line_identity_ids = [Command.link(self.id), Command.link(other.id)]
        return partner
