from odoo import api, fields, models


class LineMoveWizard(models.TransientModel):
    """Move customers of a shared LINE channel to another company: its team is told, the
    conversation says who moved it, when and why, and its history stays."""

    _name = "line.move.wizard"
    _description = "Move LINE Customers to Another Company"

    conversation_ids = fields.Many2many("discuss.channel", string="Conversations", required=True,
                                        domain=[("channel_type", "=", "line")])
    allowed_company_ids = fields.Many2many("res.company", compute="_compute_allowed_company_ids")
    company_id = fields.Many2one(
        "res.company", "New Company", required=True, domain="[('id', 'in', allowed_company_ids)]",
        help="Only the companies you work for: its users see the conversations from now on, "
             "the old company's users no longer (unless they work for both).")
    reason = fields.Text(required=True, help="Written in the conversation for the new company's team.")
    user_id = fields.Many2one(
        "res.users", "Assign To", domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Empty: the current assignee if they work for the new company, else the least busy of its team.")

    @api.depends_context("uid")
    def _compute_allowed_company_ids(self):
        for wizard in self:
            wizard.allowed_company_ids = self.env.user.company_ids

    def action_move(self):
        self.ensure_one()
        self.conversation_ids.action_line_move(self.company_id.id, self.reason, self.user_id.id)
        return {"type": "ir.actions.act_window_close"}
