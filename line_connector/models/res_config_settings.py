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
