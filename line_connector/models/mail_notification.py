from odoo import api, fields, models

from .. import const


class MailNotification(models.Model):
    _inherit = "mail.notification"

    notification_type = fields.Selection(selection_add=[("line", "LINE")], ondelete={"line": "cascade"})
    failure_type = fields.Selection(selection_add=const.FAILURE_TYPES)
    line_sent_date = fields.Datetime("Sent Date", compute="_compute_line_sent_date")

    @api.depends("notification_type", "notification_status")
    def _compute_line_sent_date(self):
        """When LINE took the message, for the mark's popover. Computed for every notification of
        the prefetch set at once: one query for all the messages a store shows, not one each."""
        sent = self.filtered(lambda n: n.notification_type == "line" and n.notification_status == "sent")
        dates = {}
        if sent:
            # sudo: line.message - when LINE took the message, for whoever sees its mark
            ledger = self.env["line.message"].sudo().search_fetch(
                [("notification_id", "in", sent.ids), ("sent_date", "!=", False)], ["notification_id", "sent_date"])
            dates = {row.notification_id.id: row.sent_date for row in ledger}
        for notification in self:
            notification.line_sent_date = dates.get(notification.id, False)

    def _to_store(self, store, /):
        super()._to_store(store)
        for notification in self.filtered(lambda n: n.notification_type == "line"):
            if notification.failure_reason:
                store.add(notification, {"failure_reason": notification.failure_reason})
            if notification.notification_status == "sent" and notification.line_sent_date:
                store.add(notification, {"line_sent_date": fields.Datetime.to_string(notification.line_sent_date)})
