from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, plaintext2html

from odoo.addons.mail.tools.discuss import Store

from .. import const


# discuss_channel.py holds the conversation itself and is at its size limit: the operator's inbox
# (status, tags, search by text, internal notes, templates posted from the composer) lives here.
class DiscussChannel(models.Model):
    """The operator's inbox on LINE conversations: to do or done (対応済み), tags, search by
    message text, internal notes, and the template a composer's message was written from."""

    _inherit = "discuss.channel"  # pylint: disable=consider-merging-classes-inherited

    line_status = fields.Selection(
        const.CONVERSATION_STATUSES, "Status", compute="_compute_line_status", store=True, index="btree_not_null",
        help="To do: the customer waits for an answer. Done: answered, or marked done; the customer writing "
             "again makes it to do.")
    line_tag_ids = fields.Many2many(
        "line.tag", "discuss_channel_line_tag_rel", "channel_id", "tag_id", string="Tags",
        domain="['|', ('company_id', '=', False), ('company_id', '=', line_company_id)]")
    line_message_text = fields.Char(
        "Message contains", compute="_compute_line_message_text", search="_search_line_message_text",
        help="Find LINE conversations by the text of their messages.")

    @api.depends("channel_type", "line_unreplied")
    def _compute_line_status(self):
        for conversation in self:
            if conversation.channel_type != "line":
                conversation.line_status = False
            else:
                conversation.line_status = "todo" if conversation.line_unreplied else "done"

    def init(self):
        super().init()
        # Searching 100,000 messages by text: a trigram index makes ILIKE '%...%' an index scan.
        # Odoo's registry knows whether pg_trgm is installed; without it the search is a plain ILIKE.
        if self.env.registry.has_trigram:
            self.env.cr.execute("""
                CREATE INDEX IF NOT EXISTS mail_message_line_body_trgm
                    ON mail_message USING gin (body gin_trgm_ops)
                 WHERE model = 'discuss.channel'
            """)

    def _compute_line_message_text(self):
        self.line_message_text = False

    def _search_line_message_text(self, operator, value):
        """One query: the conversations one of whose messages contains ``value``.

        The outer search applies the record rules, so only conversations the user can read come
        back. Messages are matched on their stored body, as Odoo's own message search does.
        """
        if operator not in ("ilike", "like", "=ilike", "=like") or not value:
            return [(1, "=", 1)] if not value else [(0, "=", 1)]
        pattern = f"%{self._line_escape_like(value)}%"
        self.env["mail.message"].flush_model(["model", "res_id", "body"])
        query = SQL(
            "(SELECT res_id FROM mail_message WHERE model = 'discuss.channel' AND body ILIKE %s)",
            pattern)
        return [("id", "in", query)]

    @api.model
    def _line_escape_like(self, value):
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    def write(self, vals):
        result = super().write(vals)
        if "line_tag_ids" in vals:  # Discuss shows the tags in the conversation's header
            for conversation in self.filtered(lambda c: c.channel_type == "line"):
                # Staff only: the customer's guest is a member of the conversation's bus channel too.
                for partner in conversation._line_staff_partners():
                    partner._bus_send_store(conversation, conversation._line_tag_store_values())
        return result

    def _line_staff_partners(self):
        """The members who are employees (not the customer's guest or contact)."""
        return self.channel_member_ids.partner_id.filtered(
            lambda partner: partner.user_ids and not partner.user_ids[0].share)

    def _to_store(self, store, /):
        super()._to_store(store)
        if not self.env.user._is_internal():
            return
        for conversation in self.filtered(lambda c: c.channel_type == "line"):
            store.add(conversation, conversation._line_tag_store_values())

    def line_get_tags(self):
        """The conversation's tags as Discuss shows them (after its tag editor closes)."""
        self.ensure_one()
        self.check_access("read")
        return self._line_tag_store_values()["line_tags"]

    def _line_tag_store_values(self):
        return {"line_tags": [{"id": tag.id, "name": tag.name, "color": tag.color} for tag in self.line_tag_ids]}

    # -- internal notes: staff only, never sent to LINE --

    def execute_command_line_note(self, body="", **kwargs):
        """``/note <text>``: an internal note for colleagues."""
        self.ensure_one()
        parts = (body or "").split(maxsplit=1)
        text = parts[1].strip() if len(parts) > 1 else ""
        if not text:
            self.env.user._bus_send_transient_message(
                self, self.env._("Write the note after the command: /note <text>. Only your colleagues see it."))
            return
        self._line_post_note(text)

    def line_post_note(self, text):
        """The composer's ``/note``: post the note, and give Discuss the message at once."""
        return Store(self._line_post_note(text), for_current_user=True).get_result()

    def _line_post_note(self, text):
        """Post ``text`` as an internal note (staff only) in this LINE conversation."""
        self.ensure_one()
        self.check_access("write")
        if self.channel_type != "line" or self.env.user.share:
            raise UserError(self.env._("Internal notes are for the staff of LINE conversations."))
        return self.message_post(
            body=plaintext2html(text), message_type="comment", subtype_xmlid="mail.mt_note", is_internal=True)

    def _notify_thread(self, message, msg_vals=False, **kwargs):
        if self.channel_type == "line" and message.is_internal:
            self = self.with_context(**{const.CTX_INTERNAL_NOTE: True})
        return super()._notify_thread(message, msg_vals=msg_vals, **kwargs)

    def _bus_send(self, notification_type, message, /, *, subchannel=None):
        """A note's live update goes to the staff members only, not to the conversation's bus
        channel, which the customer's guest listens to as a member."""
        if self.env.context.get(const.CTX_INTERNAL_NOTE) and notification_type == "discuss.channel/new_message":
            for partner in self._line_staff_partners():
                partner._bus_send(notification_type, message)
            return
        super()._bus_send(notification_type, message, subchannel=subchannel)

    def _get_last_messages(self):
        """The sidebar's last message of each channel (plain SQL in Discuss): never a note for
        someone who is not an employee (the customer's guest)."""
        messages = super()._get_last_messages()
        if self.env.user._is_internal():
            return messages
        # sudo: mail.message - whether the last messages are staff-only, to leave them out
        return messages - messages.sudo().filtered(lambda m: m.is_internal or m.subtype_id.internal).sudo(False)

    # -- a message written from a LINE template carries its quick replies --

    def _get_allowed_message_post_params(self):
        # The composer says which template the operator inserted (and maybe edited).
        return super()._get_allowed_message_post_params() | {"line_template_id"}

    def _get_message_create_valid_field_names(self):
        return super()._get_message_create_valid_field_names() | {"line_template_id"}
