from odoo import api, fields, models

from .. import const


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    line_channel_count = fields.Integer(compute="_compute_line_channel_count")
    line_channel_summary = fields.Char("LINE Channels in Use", compute="_compute_line_channel_count")
    line_event_retention_days = fields.Integer(
        "Keep LINE Event Payloads (days)", config_parameter=const.EVENT_RETENTION_PARAM,
        default=const.EVENT_RETENTION_DAYS,
        help="What LINE sent is kept this many days after it was processed, then erased (the event's ID stays, "
             "so that LINE's redeliveries are still recognised). 0: kept.")
    line_sidebar_quiet_days = fields.Integer(
        "Answered LINE Conversations Leave the Sidebar After (days)", config_parameter=const.QUIET_DAYS_PARAM,
        default=const.LINE_QUIET_DAYS,
        help="An answered or done LINE conversation that has been read leaves its members' Discuss sidebar after "
             "this many quiet days; the customer writing again brings it back, with its unread counter. It stays "
             "in LINE Conversations, on the contact and in search.")

    def set_values(self):
        result = super().set_values()
        # Odoo deletes an integer setting's parameter when it is 0, and the default comes back; here 0
        # means something (payloads kept; conversations leave at once), so it is stored.
        params = self.env["ir.config_parameter"].sudo()
        for name in ("line_event_retention_days", "line_sidebar_quiet_days"):
            if self[name] == 0:
                params.set_param(self._fields[name].config_parameter, "0")
        return result

    line_invitation_auto_link = fields.Boolean(
        "Link on an Invitation Code Alone", config_parameter=const.INVITATION_AUTO_LINK_PARAM,
        help="Risky: a code proves nothing about who sends it. Whoever the invitation was forwarded to (or "
             "who saw its QR code) is linked to the contact and sees what you send them on LINE. Off: the "
             "operator sees \"this may be\" and links with a click.")

    # Without a dependency, the settings form's onchange never computes the field (it showed 0):
    # base_setup's counters depend on company_id for the same reason.
    @api.depends("company_id")
    def _compute_line_channel_count(self):
        """The channels in use (active ones), and how many of them are ready or need attention."""
        counts = dict(self.env["line.channel"]._read_group([], ["check_state"], ["__count"]))
        total = sum(counts.values())
        summary = self.env._(
            "Channels in use: %(count)s (%(ready)s ready, %(attention)s need attention, %(unchecked)s not checked).",
            count=total, ready=counts.get("ok", 0),
            attention=counts.get("warning", 0) + counts.get("error", 0), unchecked=counts.get("unchecked", 0),
        ) if total else self.env._("No LINE channel in use yet.")
        for settings in self:
            settings.line_channel_count = total
            settings.line_channel_summary = summary
