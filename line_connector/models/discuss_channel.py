from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.tools import SQL

from ..const import CTX_INBOUND
from ..exceptions import LineCreateRace, LineGuardError

_GUARDED = frozenset({"line_channel_id", "line_identity_id", "line_chat_id", "line_company_id", "line_assignee_id",
                      "line_team_id", "line_standby", "line_read_message_id"})


class DiscussChannel(models.Model):
    """A LINE conversation: one per customer (or LINE group / room) and LINE channel."""

    _name = "discuss.channel"
    _inherit = ["discuss.channel", "line.conversation.preview"]  # the lists' last message

    channel_type = fields.Selection(
        selection_add=[("line", "LINE Conversation")], ondelete={"line": "cascade"})
    line_channel_id = fields.Many2one("line.channel", "LINE Channel", index="btree_not_null", ondelete="cascade")
    line_identity_id = fields.Many2one("line.identity", "LINE Customer", index="btree_not_null", ondelete="cascade")
    line_chat_id = fields.Char(
        "LINE Group or Room ID", index="btree_not_null", readonly=True,
        help="The LINE group or room this conversation mirrors; empty for a one-to-one chat.")
    line_company_id = fields.Many2one(
        "res.company", "Company", index="btree_not_null",
        help="The company this LINE conversation belongs to (for a shared channel: the channel's default).")
    line_assignee_id = fields.Many2one(
        "res.users", "Assigned To", index="btree_not_null", readonly=True,
        help="Who answers the customer. Changed by the Reassign action, which tells them.")
    line_team_id = fields.Many2one("crm.team", "Team")
    line_unreplied = fields.Boolean(
        "Unreplied", index=True, help="The last message is the customer's.")
    line_last_customer_date = fields.Datetime("Customer Wrote", index=True)  # LINE Conversations' order
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
    def _line_find(self, line_channel, line_user_id=None, chat_id=None):
        """The conversation of a LINE user (under the channel's provider) or of a LINE group or room."""
        # Once per event: a plain query on the unique keys (the ORM's domain costs more than the query).
        self.flush_model(["active", "channel_type", "line_channel_id", "line_chat_id", "line_identity_id"])
        self.env["line.identity"].flush_model(["provider_name", "line_user_id"])
        if chat_id:
            where = SQL("c.line_chat_id = %s", chat_id)
        else:
            where = SQL("c.line_chat_id IS NULL AND c.line_identity_id = (SELECT id FROM line_identity WHERE "
                        "provider_name = %s AND line_user_id = %s)", line_channel.provider_name, line_user_id)
        self.env.cr.execute(SQL("SELECT c.id FROM discuss_channel c WHERE c.channel_type = 'line' AND c.active "
                                "AND c.line_channel_id = %s AND %s LIMIT 1", line_channel.id, where))
        row = self.env.cr.fetchone()
        return self.browse(row[0] if row else ())

    @api.model
    def _line_create(self, line_channel, identity=None, chat_id=None, name=None, values=None):
        """A new conversation with ``identity`` (or the LINE group or room ``chat_id``) on ``line_channel``,
        with ``values`` (its routing: ``line.channel._line_open``).

        :raise LineCreateRace: another transaction created it first
        """
        one_to_one = bool(identity) and not chat_id
        vals = {
            "channel_type": "line",
            "name": name or identity.name,
            "line_channel_id": line_channel.id,
            "line_identity_id": identity.id if one_to_one else False,
            "line_chat_id": chat_id or False,
            "description": self.env._("LINE · %s", line_channel.name),
            **(values or {}),
        }
        # Odoo makes the creating user a member, except while installing data (mail's create): the
        # LINE job's OdooBot would be told of every message. Not added, rather than added and removed.
        creator = self.with_context(install_mode=True) if self.env.uid == SUPERUSER_ID else self
        try:
            with self.env.cr.savepoint(), tools.mute_logger("odoo.sql_db"):
                conversation = creator.create(vals)
        except IntegrityError as error:
            raise LineCreateRace(chat_id or identity.line_user_id) from error
        return conversation.with_env(self.env)

    @api.depends("channel_type", "image_128", "uuid", "line_identity_id.image_128", "line_chat_id")
    def _compute_avatar_128(self):
        """A customer's conversation shows their LINE picture, kept once on their identity (not
        copied), or none, as Discuss shows a chat with no picture."""
        self._line_compute_from_customer(
            "avatar_128", "image_128", False, lambda others: super(DiscussChannel, others)._compute_avatar_128())

    @api.depends("avatar_128", "line_identity_id.line_picture_checksum")
    def _compute_avatar_cache_key(self):
        """A customer's conversation: their picture's checksum, stored on their identity, or
        Discuss's key for no picture. Discuss computes the key whenever a conversation is written
        (each message): not the picture's attachment and file read, and hashed, for it."""
        self._line_compute_from_customer(
            "avatar_cache_key", "line_picture_checksum", "no-avatar",
            lambda others: super(DiscussChannel, others)._compute_avatar_cache_key())

    def _line_compute_from_customer(self, field_name, identity_field, default, compute_others):
        """Set ``field_name`` of customers' conversations from their identity's ``identity_field``
        (``default`` when it has none); ``compute_others`` (Discuss's compute) for the other channels."""
        customers = self.filtered(lambda conversation: conversation.channel_type == "line"
                                  and conversation.line_identity_id and not conversation.line_chat_id)
        compute_others(self - customers)
        for conversation in customers:
            # sudo: line.identity - the customer's picture, for whoever sees their conversation
            conversation[field_name] = conversation.sudo().line_identity_id[identity_field] or default

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._line_guard(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._line_guard(vals)
        return super().write(vals)

    def _line_guard(self, vals):
        """What ties a conversation to LINE changes only through the integration's own actions, which
        check who may do it and then write as the integration (``_line_write``)."""
        guarded = set(_GUARDED.intersection(vals))
        if "channel_type" in vals and (vals["channel_type"] == "line" or "line" in self.mapped("channel_type")):
            guarded.add("channel_type")  # a LINE conversation does not become another channel, nor the reverse
        if guarded:
            raise LineGuardError(self, guarded)

    def _line_write(self, vals):
        """Write the fields that tie the conversation to LINE (routing, assignment, standby), which
        only the integration's own actions change, after their own checks."""
        # sudo: discuss.channel - the integration's fields, written by its actions
        self.sudo().write(vals)

    def _line_set_standby(self, standby):
        self._line_write({"line_standby": standby})  # LINE says who may answer the customer now
        self._line_send_store()

    def _line_send_store(self):
        """Tell the web clients what changed in the conversation's LINE state (composer, header)."""
        self._bus_send_store(self, self._line_store_values())

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
                "line_composer_notice": refusal[1] if refusal else False, "line_unreplied": self.line_unreplied}

    def _line_get_refusal(self):
        """Why LINE would refuse an answer in this conversation now: (failure_type, text) or None.

        Known from the conversation alone (the spent quota is checked when sending: a reply may
        still be free). An operator's message is still posted, then marked failed with the text.
        """
        self.ensure_one()
        # sudo: line.identity, line.channel - the customer's state, for whoever sees the conversation
        conversation = self.sudo()
        identity, channel = conversation.line_identity_id, conversation.line_channel_id
        if not channel.active:
            return "line_disconnected", self.env._(
                "The LINE channel %s is disconnected: Odoo neither sends nor receives for it until a LINE manager "
                "turns it on again.", channel.name)
        if identity and not self.line_chat_id:
            if identity.friend_state == "blocked":
                return "line_blocked", self.env._(
                    "%s blocked the account on LINE: LINE delivers nothing to them until they unblock it.",
                    identity.name)
            if identity.provider_name != channel.provider_name:
                return "line_provider", self.env._(
                    "%(name)s is a customer of LINE provider %(old)s; this channel now belongs to %(new)s, "
                    "where LINE knows them under another ID. They must add the account again.",
                    name=identity.name, old=identity.provider_name, new=channel.provider_name)
        if self.line_standby:
            return "line_standby", self.env._(
                "LINE sends this conversation in standby mode: another module of the Official Account answers "
                "the customer now, and LINE does not let Odoo answer until it makes this channel active again.")
        window_refusal = conversation._line_reply_window_refusal()
        if window_refusal:
            return "line_window", window_refusal
        return None

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
        if self._line_reply_window_closed():
            return self.env._(
                "%(name)s last wrote more than %(days)s days ago: this channel only answers customers "
                "within %(days)s days of their last message.", name=self.sudo().line_identity_id.name,
                days=self.line_channel_id.sudo().reply_window_days)
        return None

    def _line_reply_window_closed(self):
        # sudo: line.channel - the channel's reply window, for whoever sees the conversation
        window = self.line_channel_id.sudo().reply_window_days
        if not window or not self.line_identity_id or self.line_chat_id:
            return False
        limit = fields.Datetime.now() - timedelta(days=window)
        return not self.line_last_customer_date or self.line_last_customer_date < limit

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if (self.channel_type == "line" and message.message_type == "comment" and not message.subtype_id.internal
                and not self.env.context.get(CTX_INBOUND) and self._line_by_staff(message)):
            self.env["line.message"]._enqueue(self, message)
            self.line_channel_id._line_complete_reply_activities(self)
            if self.line_unreplied:
                # sudo: discuss.channel - an operator answered
                self.sudo().line_unreplied = False
        return result

    def _line_by_staff(self, message):
        """The author is an internal user: usually the one posting (known without a query)."""
        author, user = message.author_id, self.env.user
        if author == user.partner_id and not user.share:
            return True
        return bool(author.user_ids.filtered(lambda author_user: not author_user.share))

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
        window_was_closed = self._line_reply_window_closed()
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
            self._line_send_store()
        self.env["discuss.channel.member"]._line_rejoin(self)
        conversation = self.with_context(**{CTX_INBOUND: True}, mail_create_nosubscribe=True)
        if not identity.partner_id:
            guest = identity.guest_id or identity._get_guest()
            self._line_add_guest(guest)
            # Discuss lets a guest post in a channel they belong to, as the public user (as in
            # livechat): the message is then the guest's, with Odoo's own notifications. Their
            # files were uploaded as theirs (line.inbound's downloads).
            conversation = conversation.with_user(self.env.ref("base.public_user")).with_context(
                guest=guest.sudo(False))
            return conversation.message_post(message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs)
        # sudo: discuss.channel - the cron posting for a customer has no access of its own
        return conversation.sudo().message_post(
            author_id=identity.partner_id.id, message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs)

    def _line_apply_post(self, post):
        """Post what a ``line.inbound`` handler returned: the customer's message, or a note."""
        if post.author:
            return self._line_post(post.author, body=post.body, attachment_ids=post.attachment_ids, **post.values)
        return self._line_notify(post.body, post.attachment_ids)

    def _line_notify(self, body, attachment_ids=()):
        """A line in the conversation about what happened at LINE (follow, block, ...), or what a
        group member LINE does not name sent (with its files)."""
        self.ensure_one()
        # sudo: discuss.channel - system notes are posted by the LINE integration, not a user
        return self.sudo().with_context(**{CTX_INBOUND: True}).message_post(
            body=body, message_type="notification", subtype_xmlid="mail.mt_note",
            author_id=self.env.ref("base.partner_root").id, attachment_ids=list(attachment_ids))
