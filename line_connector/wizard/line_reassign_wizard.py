from odoo import fields, models


class LineReassignWizard(models.TransientModel):
    """Hand LINE conversations to someone else: an explicit action, which tells the new assignee."""

    _name = "line.reassign.wizard"
    _description = "Reassign LINE Conversations"

    conversation_ids = fields.Many2many("discuss.channel", string="Conversations", required=True,
                                        domain=[("channel_type", "=", "line")])
    user_id = fields.Many2one("res.users", "Assign To", required=True, domain=[("share", "=", False)])

    def action_reassign(self):
        self.ensure_one()
        self.conversation_ids.action_line_reassign(self.user_id.id)
        return {"type": "ir.actions.act_window_close"}
