from odoo import api, fields, models


class LineDisconnectWizard(models.TransientModel):
    """Say what disconnecting a LINE channel does to what is waiting, before doing it."""

    _name = "line.disconnect.wizard"
    _description = "Disconnect LINE Channels"

    channel_ids = fields.Many2many("line.channel", string="LINE Channels", required=True)
    queued_message_count = fields.Integer("Messages Not Sent Yet", compute="_compute_counts")
    unprocessed_event_count = fields.Integer("Events Not Processed Yet", compute="_compute_counts")

    @api.depends("channel_ids")
    def _compute_counts(self):
        for wizard in self:
            channels = wizard.channel_ids
            wizard.queued_message_count = len(channels._line_queued_messages())
            wizard.unprocessed_event_count = len(channels._line_unprocessed_events())

    def action_disconnect(self):
        self.ensure_one()
        self.channel_ids._line_disconnect()
        return {"type": "ir.actions.act_window_close"}
