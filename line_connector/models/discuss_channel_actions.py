from odoo import models
from odoo.exceptions import AccessError, UserError


class DiscussChannel(models.Model):
    """What operators do in a LINE conversation: its buttons and composer commands (what the
    integration does with a conversation is in discuss_channel.py)."""

    _inherit = "discuss.channel"  # pylint: disable=consider-merging-classes-inherited

    def action_open_discuss(self):
        self.ensure_one()
        return {"type": "ir.actions.client", "tag": "mail.action_discuss",
                "params": {"active_id": f"discuss.channel_{self.id}"}}

    def action_line_link(self):
        self.ensure_one()
        return self.line_identity_id.action_open_link_wizard()

    def action_line_reply_later(self):
        """Snooze: a dated "Reply on LINE" activity on the customer (done when someone answers)."""
        self.ensure_one()
        if not self.line_identity_id:
            raise UserError(self.env._("A group conversation has no single customer to come back to."))
        return self.line_identity_id.action_line_reply_later()

    def _line_check_can_assign(self):
        """LINE operators hand over the conversations they can see; nobody else does."""
        if not self.env.su and not self.env.user.has_group("line_connector.group_line_operator"):
            raise AccessError(self.env._("Only LINE operators can assign LINE conversations."))
        self.check_access("read")

    def action_line_reassign(self, user_id):
        """Hand the conversations to someone else (the Reassign wizard, Discuss): they are told."""
        self._line_check_can_assign()
        user = self.env["res.users"].browse(user_id)
        for conversation in self.filtered(lambda c: c.channel_type == "line" and c.line_assignee_id != user):
            conversation.line_channel_id._line_assign(conversation, user)
        return True

    def action_line_open_reassign(self):
        self._line_check_can_assign()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reassign"),
            "res_model": "line.reassign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_conversation_ids": self.ids},
        }

    def line_resend_message(self, message_id):
        """Send again a message LINE did not take (the failure mark's Resend, in Discuss)."""
        self.ensure_one()
        if not self.is_member:
            self.check_access("write")
        return self.env["line.message"]._resend_in(self, message_id)

    def execute_command_line_template(self, body="", **kwargs):
        """``/template <shortcut>``: render a LINE template for this customer and send it."""
        self.ensure_one()
        self.env["line.template"]._execute_command(self, body)

    def execute_command_line_account_link(self, **kwargs):  # /linkaccount: "Link your account"
        self.env["line.account.link"]._send_to(self)

    def execute_command_line_friend_link(self, body="", **kwargs):  # /friendlink: line_friend_link.py
        self.env["line.friend.link"]._execute_command(self, body)

    def action_line_done(self):
        """Done (対応済み): nothing more to answer. The customer writing again reopens it."""
        self.check_access("write")
        self.filtered("line_unreplied")._line_write({"line_unreplied": False})
        self.env["discuss.channel.member"]._line_read_done(self)
        for conversation in self:
            conversation.line_channel_id._line_complete_reply_activities(conversation)
            conversation._line_send_store()

    def action_line_reopen(self):
        """To do again: someone must answer the customer."""
        self.check_access("write")
        self.filtered(lambda c: not c.line_unreplied)._line_write({"line_unreplied": True})
        for conversation in self:
            conversation._line_send_store()
