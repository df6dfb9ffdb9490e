from odoo import fields, models

from .. import const


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    line_channel_count = fields.Integer(compute="_compute_line_channel_count")
    line_event_retention_days = fields.Integer(
        "Keep LINE Event Payloads (days)", config_parameter=const.EVENT_RETENTION_PARAM,
        default=const.EVENT_RETENTION_DAYS,
        help="What LINE sent is kept this many days after it was processed, then erased (the event's ID stays, "
             "so that LINE's redeliveries are still recognised). 0: kept.")

    def _compute_line_channel_count(self):
        self.line_channel_count = self.env["line.channel"].search_count([])
