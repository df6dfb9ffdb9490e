from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.line_connector.const import CTX_INBOUND
from odoo.addons.line_connector.models.line_identity import LineIdentityRace


class DiscussChannel(models.Model):
    """A LINE conversation: one per customer (or LINE group / room) and LINE channel."""

    _inherit = "discuss.channel"

    channel_type = fields.Selection(
        selection_add=[("line", "LINE Conversation")], ondelete={"line": "cascade"})
    line_channel_id = fields.Many2one("line.channel", "LINE Channel", index="btree_not_null", ondelete="cascade")
    line_identity_id = fields.Many2one("line.identity", "LINE Customer", index="btree_not_null", ondelete="cascade")
    line_chat_id = fields.Char(
        "LINE Group ID", index="btree_not_null",
        help="The LINE group or room this conversation mirrors; empty for a one-to-one chat.")
    line_company_id = fields.Many2one(
        "res.company", "Company", index="btree_not_null",
        help="The company this LINE conversation belongs to (for a shared channel: the channel's default).")
    line_assignee_id = fields.Many2one("res.users", "Assigned To", index="btree_not_null", tracking=False)
    line_team_id = fields.Many2one("crm.team", "Team")
    line_unreplied = fields.Boolean(
        "Unreplied", index=True, help="The last message is the customer's.")
    line_last_customer_date = fields.Datetime("Customer Wrote")
    line_is_linked = fields.Boolean("Linked", compute="_compute_line_is_linked", search="_search_line_is_linked")
    line_standby = fields.Boolean(
        "Standby", readonly=True,
        help="LINE sent the customer's last event in standby mode: another module of the Official Account "
             "holds the chat, and Odoo must not answer until LINE makes this channel active again.")
    line_read_message_id = fields.Many2one("mail.message", "Read up to", readonly=True, ondelete="set null")
    line_partner_id = fields.Many2one(related="line_identity_id.partner_id", string="Contact")
    line_friend_state = fields.Selection(related="line_identity_id.friend_state", string="Friend State")

    def init(self):
        super().init()
        # One conversation per customer and LINE channel, one per LINE group or room: the
        # database decides between two transactions creating the same conversation.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS discuss_channel_line_identity_unique
                ON discuss_channel (line_channel_id, line_identity_id)
             WHERE channel_type = 'line' AND line_chat_id IS NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS discuss_channel_line_chat_unique
                ON discuss_channel (line_channel_id, line_chat_id)
             WHERE channel_type = 'line' AND line_chat_id IS NOT NULL;
        """)

    @api.model
    def _line_get_or_create(self, line_channel, identity=None, chat_id=None, name=None):
        """The conversation of ``identity`` (or of the LINE group/room ``chat_id``) on ``line_channel``."""
        # Once per event: a plain query on the unique keys (the ORM's domain costs more than the query).
        self.flush_model(["active", "channel_type", "line_channel_id", "line_chat_id", "line_identity_id"])
        self.env.cr.execute(SQL(
            "SELECT id FROM discuss_channel WHERE channel_type = 'line' AND active AND line_channel_id = %s AND %s "
            "LIMIT 1", line_channel.id,
            SQL("line_chat_id = %s", chat_id) if chat_id else SQL(
                "line_identity_id = %s AND line_chat_id IS NULL", identity.id)))
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), False
        vals = {
            "channel_type": "line",
            "name": name or identity.name,
            "line_channel_id": line_channel.id,
            "line_identity_id": identity.id if identity and not chat_id else False,
            "line_chat_id": chat_id or False,
            "description": _("LINE · %s", line_channel.name),
            "image_128": identity.image_128 if identity and not chat_id else False,
        }
        try:
            with self.env.cr.savepoint(), tools.mute_logger("odoo.sql_db"):
                conversation = self.create(vals)
        except IntegrityError as error:
            raise LineIdentityRace(chat_id or identity.line_user_id) from error
        users = line_channel.responsible_user_ids
        if line_channel.scope == "shared" and not line_channel.default_company_id:
            # No company for new customers: only LINE managers see them (the channel form warns).
            users = users.filtered(lambda user: user.has_group("line_connector.group_line_manager"))
        conversation.add_members(partner_ids=users.partner_id.ids, post_joined_message=False)
        conversation._line_route_new()
        return conversation, True

    def _line_route_new(self, again=False):
        """A new conversation reaches a person: its company, team and assignee, by the channel's rule.

        ``again``: the customer writes into a one-to-one conversation nobody was assigned (everyone
        was at their limit, or away): the rule gets another chance, and the assignee a note.
        """
        self.ensure_one()
        line_channel, identity = self.line_channel_id, self.line_identity_id
        shared = line_channel.scope == "shared"
        if again:
            if self.line_assignee_id or not identity or self.line_chat_id or (shared and not self.line_company_id):
                return
        else:
            vals = {
                "line_company_id": (line_channel.default_company_id if shared else line_channel.company_id).id,
                "line_team_id": line_channel.default_team_id.id if shared else False,
            }
            self.write(vals)
            if shared and not line_channel.default_company_id:
                return  # nobody but LINE managers: the channel form warns about it
            if self.line_team_id:
                self.add_members(partner_ids=self.line_team_id.member_ids.partner_id.ids, post_joined_message=False)
        if identity and not self.line_chat_id:
            salesperson = identity.partner_id.user_id
            if salesperson and not salesperson.share and line_channel._is_available(salesperson):
                assignee = salesperson
            else:
                assignee = line_channel._pick_assignee(identity)
            if assignee:
                self._line_assign(assignee, note=again)

    def _line_assign(self, user, note=True):
        """Make ``user`` the one who answers: member, notified, and (if the channel wants) an activity."""
        self.ensure_one()
        previous = self.line_assignee_id
        # sudo: discuss.channel - assigning is allowed to whoever may see the conversation
        self.sudo().with_context(line_assigning=True).line_assignee_id = user
        self.add_members(partner_ids=user.partner_id.ids, post_joined_message=False)
        if note:
            self._line_notify(_("Assigned to %(user)s by %(by)s.", user=user.name, by=self.env.user.name)
                              if previous else _("Assigned to %s.", user.name))
        identity = self.line_identity_id
        if previous and previous != user and identity:
            # sudo: mail.activity - the previous assignee's "Reply on LINE" follows the conversation
            reminders = self.env["mail.activity"].sudo().search([
                ("res_model", "=", "line.identity"), ("res_id", "=", identity.id), ("user_id", "=", previous.id),
                ("activity_type_id", "=", self.env.ref("line_connector.mail_activity_type_reply_line").id)])
            if reminders:
                reminders.user_id = user
                return
        if self.line_channel_id.assign_activity and identity:
            identity.sudo().activity_schedule(
                "line_connector.mail_activity_type_reply_line", user_id=user.id,
                note=_("%(name)s wrote on LINE (%(channel)s).", name=identity.name, channel=self.line_channel_id.name))

    def write(self, vals):
        if "line_assignee_id" in vals and not self.env.context.get("line_assigning"):
            self._line_check_can_assign()
            user = self.env["res.users"].browse(vals.pop("line_assignee_id"))
            for conversation in self.filtered(lambda c: c.channel_type == "line" and c.line_assignee_id != user):
                conversation._line_assign(user)
            if not vals:
                return True
        return super().write(vals)

    def _to_store(self, store, /):
        super()._to_store(store)
        for conversation in self.filtered(lambda c: c.channel_type == "line"):
            store.add(conversation, conversation._line_store_values())

    def _line_store_values(self):
        """What Discuss shows of a LINE conversation beyond Odoo's own: is the customer known, and
        why LINE would refuse an answer now (the composer says it before the operator sends)?"""
        refusal = self._line_get_refusal()
        # sudo: line.identity - whether the customer is linked, for whoever sees the conversation
        return {"line_is_linked": bool(self.line_chat_id or self.sudo().line_identity_id.partner_id),
                "line_composer_notice": refusal[1] if refusal else False}

    def _line_get_refusal(self):
        """Why LINE would refuse an answer in this conversation now: (failure_type, text) or None.

        Known from the conversation alone (the spent quota is checked when sending: a reply may
        still be free). An operator's message is still posted, then marked failed with the text.
        """
        self.ensure_one()
        # sudo: line.identity, line.channel - the customer's state, for whoever sees the conversation
        conversation = self.sudo()
        identity, channel = conversation.line_identity_id, conversation.line_channel_id
        if identity and not self.line_chat_id:
            if identity.friend_state == "blocked":
                return "line_blocked", _(
                    "%s blocked the account on LINE: LINE delivers nothing to them until they unblock it.",
                    identity.name)
            if identity.provider_name != channel.provider_name:
                return "line_provider", _(
                    "%(name)s is a customer of LINE provider %(old)s; this channel now belongs to %(new)s, "
                    "where LINE knows them under another ID. They must add the account again.",
                    name=identity.name, old=identity.provider_name, new=channel.provider_name)
        if self.line_standby:
            return "line_standby", _(
                "LINE sends this conversation in standby mode: another module of the Official Account answers "
                "the customer now, and LINE does not let Odoo answer until it makes this channel active again.")
        window_refusal = conversation._line_reply_window_refusal()
        if window_refusal:
            return "line_window", window_refusal
        return None

    def action_open_discuss(self):
        self.ensure_one()
        return {"type": "ir.actions.client", "tag": "mail.action_discuss",
                "params": {"active_id": f"discuss.channel_{self.id}"}}

    def action_line_link(self):
        self.ensure_one()
        return self.line_identity_id.action_open_link_wizard()

    def action_line_reply_later(self):
        """Snooze: a dated "Reply on LINE" activity on the customer, for me by default.

        It is marked done when someone answers the customer in this conversation.
        """
        self.ensure_one()
        if not self.line_identity_id:
            raise UserError(_("A group conversation has no single customer to come back to."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Reply later"),
            "res_model": "mail.activity.schedule",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": "line.identity",
                "active_id": self.line_identity_id.id,
                "active_ids": self.line_identity_id.ids,
                "default_activity_type_id": self.env.ref("line_connector.mail_activity_type_reply_line").id,
                "default_activity_user_id": self.env.uid,
                "default_date_deadline": fields.Date.context_today(self) + timedelta(days=1),
            },
        }

    def _line_complete_reply_activities(self):
        """The customer was answered: their "Reply on LINE" activities are done."""
        if not self.line_identity_id:
            return
        # sudo: mail.activity - whoever answers the customer fulfils the reminder, whoever it was for
        activities = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "line.identity"), ("res_id", "=", self.line_identity_id.id),
            ("activity_type_id", "=", self.env.ref("line_connector.mail_activity_type_reply_line").id),
        ])
        if activities:
            activities.action_feedback(feedback=_("Answered on LINE by %s.", self.env.user.name))

    def _line_check_can_assign(self):
        """LINE operators hand over the conversations they can see; nobody else does."""
        if not self.env.su and not self.env.user.has_group("line_connector.group_line_operator"):
            raise AccessError(_("Only LINE operators can assign LINE conversations."))
        self.check_access("read")

    def action_line_reassign(self, user_id):
        """Hand the conversation to someone else (from the conversation or Discuss)."""
        self._line_check_can_assign()
        for conversation in self:
            conversation._line_assign(self.env["res.users"].browse(user_id))
        return True

    @api.depends("line_identity_id.partner_id")
    def _compute_line_is_linked(self):
        for conversation in self:
            conversation.line_is_linked = bool(conversation.line_identity_id.partner_id)

    def _search_line_is_linked(self, operator, value):
        linked = (operator == "=") == bool(value)
        return [("line_identity_id.partner_id", "!=" if linked else "=", False)]

    def _line_reply_window_refusal(self):
        """Why the channel's reply window forbids answering now, or None.

        The message is still posted and marked failed with this reason: Discuss posts without
        showing errors, so a refusal raised here would only read "Failed to post the message".
        The window counts from the customer's last message here, not from a follow or a tap.
        """
        window = self.line_channel_id.reply_window_days
        if window and self.line_identity_id and not self.line_chat_id:
            limit = fields.Datetime.now() - timedelta(days=window)
            if not self.line_last_customer_date or self.line_last_customer_date < limit:
                return _(
                    "%(name)s last wrote more than %(days)s days ago: this channel only answers customers "
                    "within %(days)s days of their last message.", name=self.line_identity_id.name, days=window)
        return None

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if (self.channel_type == "line" and message.message_type == "comment"
                and not self.env.context.get(CTX_INBOUND) and message.author_id.user_ids.filtered(
                    lambda user: not user.share)):
            self.env["line.message"]._enqueue(self, message)
            self._line_complete_reply_activities()
            if self.line_unreplied:
                # sudo: discuss.channel - an operator answered
                self.sudo().line_unreplied = False
        return result

    def _get_message_create_valid_field_names(self):
        return super()._get_message_create_valid_field_names() | {
            "line_message_id", "line_mark_as_read_token", "line_event_timestamp", "line_sticker"}

    def _line_add_guest(self, guest):
        """Make the customer's guest a member, so that their messages are theirs in Discuss."""
        self.ensure_one()
        # Its members are read for the post anyway: reading them here adds no query.
        if guest not in self.channel_member_ids.guest_id:
            self.add_members(guest_ids=guest.ids, post_joined_message=False)

    def _line_post(self, identity, **kwargs):
        """Post what a LINE customer sent, as the customer (their contact, or their guest).

        Posts from LINE carry the inbound flag, so that they are never sent back to LINE.
        """
        self.ensure_one()
        window_was_closed = bool(self.sudo()._line_reply_window_refusal())
        now = fields.Datetime.now()
        vals = {}
        if not self.line_last_customer_date or now - self.line_last_customer_date > timedelta(minutes=1):
            vals["line_last_customer_date"] = now  # to the minute: not a write for every message of a chat
        if not self.line_unreplied:
            vals["line_unreplied"] = True
        if vals:
            # sudo: discuss.channel - tracking who spoke last is the integration's
            self.sudo().write(vals)
        if window_was_closed:  # the composer's notice goes
            self._bus_send_store(self, self._line_store_values())
        self._line_route_new(again=True)
        author = identity._author_values()
        conversation = self.with_context(**{CTX_INBOUND: True}, mail_create_nosubscribe=True)
        if "guest" in author:
            guest = author["guest"]
            self._line_add_guest(guest)
            # Discuss lets a guest post in a channel they belong to, as the public user (as in
            # livechat): the message is then the guest's, with Odoo's own notifications.
            public = self.env.ref("base.public_user")
            if kwargs.get("attachment_ids"):
                # Discuss lets a guest post only the files they uploaded themselves (pending
                # attachments created by the public user): the customer's files are theirs.
                self.env.cr.execute(SQL(
                    "UPDATE ir_attachment SET create_uid = %s, res_model = 'mail.compose.message', res_id = 0 "
                    "WHERE id IN %s", public.id, tuple(kwargs["attachment_ids"])))
                self.env["ir.attachment"].invalidate_model(["create_uid", "res_model", "res_id"])
            conversation = conversation.with_user(public).with_context(guest=guest.sudo(False))
            return conversation.message_post(message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs)
        # sudo: discuss.channel - the cron posting for a customer has no access of its own
        return conversation.sudo().message_post(
            author_id=author["author_id"], message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs)

    def _line_notify(self, body, attachment_ids=()):
        """A line in the conversation about what happened at LINE (follow, block, ...), or what a
        group member LINE does not name sent (with its files)."""
        self.ensure_one()
        # sudo: discuss.channel - system notes are posted by the LINE integration, not a user
        return self.sudo().with_context(**{CTX_INBOUND: True}).message_post(
            body=body, message_type="notification", subtype_xmlid="mail.mt_note",
            author_id=self.env.ref("base.partner_root").id, attachment_ids=list(attachment_ids))

    def line_resend_message(self, message_id):
        """Send again a message LINE did not take (the failure mark's Resend, in Discuss)."""
        self.ensure_one()
        if not self.is_member:
            self.check_access("write")
        # sudo: line.message - the ledger is the integration's; a member may resend in their conversation
        ledger = self.env["line.message"].sudo().search([
            ("conversation_id", "=", self.id), ("mail_message_id", "=", message_id), ("state", "=", "failed")])
        ledger.action_resend()
        ledger.mail_message_id._notify_message_notification_update()
        return bool(ledger)
