from odoo import fields, models

from .. import const


class MailNotification(models.Model):
    _inherit = "mail.notification"

    notification_type = fields.Selection(selection_add=[("line", "LINE")], ondelete={"line": "cascade"})
    failure_type = fields.Selection(selection_add=const.FAILURE_TYPES)

    def _to_store(self, store, /):
        super()._to_store(store)
        for notification in self.filtered(lambda n: n.notification_type == "line" and n.failure_reason):
            store.add(notification, {"failure_reason": notification.failure_reason})
        sent = self.filtered(lambda n: n.notification_type == "line" and n.notification_status == "sent")
        if sent:
            # sudo: line.message - when LINE took the message, for the mark's popover
            for ledger in self.env["line.message"].sudo().search_fetch(
                    [("notification_id", "in", sent.ids), ("sent_date", "!=", False)],
                    ["notification_id", "sent_date"]):
                store.add(ledger.notification_id, {"line_sent_date": fields.Datetime.to_string(ledger.sent_date)})
