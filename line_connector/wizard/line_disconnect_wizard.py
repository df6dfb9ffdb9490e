from odoo import api, fields, models

from .. import const


class LineDisconnectWizard(models.TransientModel):
    """Disconnect LINE channels (turn the integration off for them), after saying what is waiting.

    A disconnected channel is an archived one: its conversations stay readable, Odoo sends
    nothing (the composer says why), and the webhook still answers LINE and keeps what LINE
    sends, parked, until the channel is connected again (line.channel's write processes it then).
    LINE's API has no call that removes a channel's webhook URL or turns "Use webhook" off
    (setting the endpoint takes a valid URL): to stop LINE from sending at all, a person turns it
    off in LINE Developers Console.
    """

    _name = "line.disconnect.wizard"
    _description = "Disconnect LINE Channels"

    channel_ids = fields.Many2many("line.channel", string="LINE Channels", required=True)
    queued_message_count = fields.Integer("Messages Not Sent Yet", compute="_compute_counts")
    unprocessed_event_count = fields.Integer("Events Not Processed Yet", compute="_compute_counts")

    @api.depends("channel_ids")
    def _compute_counts(self):
        for wizard in self:
            wizard.queued_message_count = len(self._queued_messages(wizard.channel_ids))
            wizard.unprocessed_event_count = len(self._unprocessed_events(wizard.channel_ids))

    @api.model
    def _queued_messages(self, channels):
        return self.env["line.message"].search([("channel_id", "in", channels.ids), ("state", "=", "queued")])

    @api.model
    def _unprocessed_events(self, channels):
        return self.env["line.event"].search([("channel_id", "in", channels.ids), ("state", "=", "new")])

    def action_disconnect(self):
        self.ensure_one()
        self._disconnect(self.channel_ids)
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _disconnect(self, channels):
        """Stop receiving and sending: queued messages fail (Resend once connected again), events not
        processed yet wait, with those LINE sends meanwhile, for the channel to be connected again."""
        channels._line_check_manager()
        channels = channels.filtered("active")
        messages, events = self._queued_messages(channels), self._unprocessed_events(channels)
        channels.write({"active": False})
        for message in messages:
            message._fail(*message._precheck())
        events._queue_park(const.EVENT_DISCONNECTED_REASON)
