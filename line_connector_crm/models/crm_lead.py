from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Only LINE users see them: a salesperson without LINE access opens linked leads as any other.
    line_identity_id = fields.Many2one("line.identity", "LINE Customer", index="btree_not_null",
                                       ondelete="set null", tracking=True,
                                       groups="line_connector.group_line_operator")
    line_message_count = fields.Integer("LINE Messages", compute="_compute_line_message_count",
                                        groups="line_connector.group_line_operator")

    def _line_history_domain(self):
        conversations = self.line_identity_id.conversation_ids
        return [("model", "=", "discuss.channel"), ("res_id", "in", conversations.ids),
                ("message_type", "in", ("comment", "notification"))]

    def _compute_line_message_count(self):
        for lead in self:
            lead.line_message_count = (self.env["mail.message"].search_count(lead._line_history_domain())
                                       if lead.line_identity_id else 0)

    def action_view_line_history(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("LINE history of %s", self.line_identity_id.name),
            "res_model": "mail.message",
            "view_mode": "list,form",
            "views": [(self.env.ref("line_connector.mail_message_view_list_line_history").id, "list"),
                      (False, "form")],
            "domain": self._line_history_domain(),
            "context": {"create": False},
        }
