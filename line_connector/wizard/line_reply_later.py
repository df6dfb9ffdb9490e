from odoo import models
from odoo.tools.misc import format_date


class MailActivitySchedule(models.TransientModel):
    """*Reply later* says what it did: the reminder's date and for whom, as the dialog closes."""

    _inherit = "mail.activity.schedule"

    def action_schedule_activities(self):
        result = super().action_schedule_activities()
        if not self.env.context.get("line_reply_later"):
            return result
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Reminder set: %(user)s replies on LINE to %(customer)s by %(date)s.",
                    user=self.activity_user_id.name,
                    customer=", ".join(self._get_applied_on_records().mapped("display_name")),
                    date=format_date(self.env, self.date_deadline)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
