from odoo import api, fields, models
from odoo.osv import expression


class ResPartner(models.Model):
    _inherit = "res.partner"

    line_identity_ids = fields.One2many("line.identity", "partner_id", "LINE Identities")
    line_conversation_count = fields.Integer("LINE Conversations", compute="_compute_line_conversation_count")

    @api.model
    def _search_display_name(self, operator, value):
        """Linking a LINE customer: a contact is also found by phone or mobile number."""
        domain = super()._search_display_name(operator, value)
        if self.env.context.get("line_search_phone") and value and operator in ("ilike", "=ilike", "like"):
            domain = expression.OR([domain, [("phone", operator, value)], [("mobile", operator, value)]])
        return domain

    def _compute_line_conversation_count(self):
        counts = dict(self.env["discuss.channel"]._read_group(
            [("channel_type", "=", "line"), ("line_identity_id.partner_id", "in", self.ids)],
            ["line_identity_id"], ["__count"]))
        for partner in self:
            partner.line_conversation_count = sum(
                count for identity, count in counts.items() if identity.partner_id == partner)

    def _line_conversations(self):
        return self.env["discuss.channel"].search([
            ("channel_type", "=", "line"), ("line_identity_id.partner_id", "in", self.ids)])

    def action_view_line_history(self):
        """Everything this contact and the company said on LINE, in one timeline, newest first: all the
        conversations of all the contact's LINE customers (merged ones too), each message with its account."""
        self.ensure_one()
        conversations = self._line_conversations()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("LINE history of %s", self.display_name),
            "res_model": "mail.message",
            "view_mode": "list,form",
            "views": [(self.env.ref("line_connector.mail_message_view_list_line_history").id, "list"),
                      (False, "form")],
            "domain": [("model", "=", "discuss.channel"), ("res_id", "in", conversations.ids),
                       ("message_type", "in", ("comment", "notification"))],
            "context": {"create": False},
        }

    def action_line_open_merge(self):
        """"Same person…" from the contact: another LINE customer is this contact too (名寄せ)."""
        self.ensure_one()
        return self.line_identity_ids[:1].action_open_merge_wizard()
    def action_line_send_account_link(self):
        """"Link your account" from the contact: LINE confirms that their LINE customer is this person."""
        self.ensure_one()
        return self.line_identity_ids.sorted("last_contact_date", reverse=True)[:1].action_line_send_account_link()

    def action_line_invite(self):
        self.ensure_one()
        return self.env["line.invitation"]._invite(self)
