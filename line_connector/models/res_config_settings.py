from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    line_channel_count = fields.Integer(compute="_compute_line_channel_count")

    def _compute_line_channel_count(self):
        self.line_channel_count = self.env["line.channel"].search_count([])
