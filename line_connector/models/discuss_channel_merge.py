from odoo import api, fields, models


# discuss_channel.py is at its size limit: what merging adds to conversations lives here.
# pylint: disable=consider-merging-classes-inherited
class DiscussChannel(models.Model):
    """The conversation's customer panel shows the LINE customers who may be the same person."""

    _inherit = "discuss.channel"

    line_similar_identity_ids = fields.Many2many(
        "line.identity", string="May Be the Same Person", compute="_compute_line_similar_identity_ids")

    @api.depends_context("uid", "allowed_company_ids")
    @api.depends("line_identity_id.line_similar_identity_ids")
    def _compute_line_similar_identity_ids(self):
        for conversation in self:
            identity = conversation.line_identity_id
            conversation.line_similar_identity_ids = (identity._line_similar_identities()
                                                      if identity and not conversation.line_chat_id else False)

    def action_line_open_merge(self):
        self.ensure_one()
        return self.line_identity_id.action_open_merge_wizard()
