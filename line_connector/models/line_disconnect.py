from odoo import models

from .. import const


class LineChannel(models.Model):
    """Disconnecting a channel (turning the integration off for it), and connecting it again.

    A disconnected channel is an archived one: its conversations stay readable, Odoo sends
    nothing (the composer says why), and the webhook still answers LINE and keeps what LINE
    sends, parked, for when the channel is connected again. LINE's API has no call that removes a
    channel's webhook URL or turns "Use webhook" off (setting the endpoint takes a valid URL): to
    stop LINE from sending at all, a person turns it off in LINE Developers Console.
    """

    _inherit = "line.channel"

    def _line_queued_messages(self):
        return self.env["line.message"].search([("channel_id", "in", self.ids), ("state", "=", "queued")])

    def _line_unprocessed_events(self):
        return self.env["line.event"].search([("channel_id", "in", self.ids), ("state", "=", "new")])

    def action_open_disconnect(self):
        self._line_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Disconnect"),
            "res_model": "line.disconnect.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_ids": self.ids},
        }

    def _line_disconnect(self):
        """Stop receiving and sending: queued messages fail (Resend once connected again), events not
        processed yet wait, with those LINE sends meanwhile, for the channel to be connected again."""
        self._line_check_manager()
        channels = self.filtered("active")
        messages, events = channels._line_queued_messages(), channels._line_unprocessed_events()
        channels.write({"active": False})
        for message in messages:
            message._fail(*message._precheck())
        events._queue_park(const.EVENT_DISCONNECTED_REASON)
        return len(messages), len(events)

    def action_reconnect(self):
        """Connect again: what LINE sent meanwhile is processed now (line.channel's write)."""
        self._line_check_manager()
        self.with_context(active_test=False).filtered(lambda c: not c.active).write({"active": True})
        return True

    def action_archive(self):
        """Archiving a channel disconnects it, as Disconnect does (without the summary first)."""
        self._line_disconnect()
        return True
