from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Only LINE users see them: a salesperson without LINE access opens linked leads as any other.
    # Several: the same person under two providers, or before and after an account switch; linking
    # one more never drops the others' history.
    line_identity_ids = fields.Many2many("line.identity", "crm_lead_line_identity_rel", "lead_id", "identity_id",
                                         "LINE Customers", tracking=True, groups="line_connector.group_line_operator")
    line_message_count = fields.Integer("LINE Messages", compute="_compute_line_message_count",
                                        groups="line_connector.group_line_operator")

    def _line_history_domain(self):
        conversations = self.line_identity_ids.conversation_ids
        return [("model", "=", "discuss.channel"), ("res_id", "in", conversations.ids),
                ("message_type", "in", ("comment", "notification"))]

    def _compute_line_message_count(self):
        for lead in self:
            lead.line_message_count = (self.env["mail.message"].search_count(lead._line_history_domain())
                                       if lead.line_identity_ids else 0)

    def action_view_line_history(self):
        """All the messages of all the lead's LINE customers, in one timeline (newest first)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("LINE history of %s", self.name),
            "res_model": "mail.message",
            "view_mode": "list,form",
            "views": [(self.env.ref("line_connector.mail_message_view_list_line_history").id, "list"),
                      (False, "form")],
            "domain": self._line_history_domain(),
            "context": {"create": False},
        }
