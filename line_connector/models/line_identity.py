import base64
import logging
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import api, fields, models, tools
from odoo.tools import SQL

from .. import const, utils
from ..exceptions import LineCreateRace, LineGuardError
from ..tools import line_api, webhook_body

_logger = logging.getLogger(__name__)


class LineIdentity(models.Model):
    """A LINE user as one provider knows them.

    LINE gives a person one user ID per provider: the same customer writing to two Official
    Accounts of one provider is one identity, with one conversation per channel.
    """

    _name = "line.identity"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "LINE Identity"
    _order = "last_contact_date desc, id desc"

    name = fields.Char("LINE Name", required=True, default=lambda self: self.env._("LINE user"))
    provider_name = fields.Char("Provider", required=True, index=True)
    line_user_id = fields.Char("LINE User ID", required=True, index=True)
    picture_url = fields.Char()
    image_128 = fields.Image("Picture", max_width=128, max_height=128)
    language = fields.Char(help="The language the customer uses LINE in, as LINE reports it.")
    status_message = fields.Char()
    friend_state = fields.Selection(const.FRIEND_STATES, default="unknown", required=True)
    first_contact_date = fields.Datetime(default=fields.Datetime.now)
    last_contact_date = fields.Datetime(default=fields.Datetime.now)
    profile_date = fields.Datetime("Profile Fetched")
    partner_id = fields.Many2one("res.partner", "Contact", index="btree_not_null", ondelete="set null",
                                 tracking=True)
    guest_id = fields.Many2one("mail.guest", readonly=True, ondelete="set null")
    conversation_ids = fields.One2many("discuss.channel", "line_identity_id", "Conversations")

    _sql_constraints = [
        ("line_user_unique", "UNIQUE(provider_name, line_user_id)",
         "A LINE user exists only once per provider."),
    ]

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for identity in self:
            identity.display_name = (f"{identity.name} ({identity.partner_id.name})"
                                     if identity.partner_id else identity.name)

    # ------------------------------------------------------------------
    # Look-up and creation
    # ------------------------------------------------------------------

    @api.model
    def _get_or_create(self, provider_name, line_user_id):
        """The identity of a LINE user, created on first contact.

        The unique constraint decides between two transactions creating the same user at
        once: the loser's event is retried, and then finds the winner's identity.
        """
        # Once per event: a plain query on the unique key (the ORM's domain costs more than the query).
        self.flush_model(["provider_name", "line_user_id"])
        self.env.cr.execute(SQL("SELECT id FROM line_identity WHERE provider_name = %s AND line_user_id = %s",
                                provider_name, line_user_id))
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), False
        try:
            with self.env.cr.savepoint(), tools.mute_logger("odoo.sql_db"):
                identity = self.create({"provider_name": provider_name, "line_user_id": line_user_id})
        except IntegrityError as error:
            raise LineCreateRace(line_user_id) from error
        return identity, True

    def _get_guest(self):
        """The mail.guest the customer speaks as in Discuss while not linked to a contact. Its avatar
        is the customer's picture, read from here (mail_guest.py), not copied in its five sizes."""
        self.ensure_one()
        if not self.guest_id:
            self.guest_id = self.env["mail.guest"].create({"name": self.name})
        return self.guest_id

    # ------------------------------------------------------------------
    # Profile
    # ------------------------------------------------------------------

    def _refresh_profile(self, line_channel, group_id=None, room_id=None):
        """Fetch the LINE profile; a user LINE will not describe (404) keeps what we know."""
        self.ensure_one()
        client = line_channel._line_client()
        try:
            # A name is any text the customer chose: made storable like the events' own strings.
            profile = webhook_body.storable(client.profile(self.line_user_id, group_id=group_id, room_id=room_id))
        except line_api.LineNotFoundError:
            self.profile_date = fields.Datetime.now()
            return False
        except line_api.LineError as error:
            _logger.info("LINE profile of identity %s not fetched: %s", self.id, error)
            return False
        previous_name = self.name
        vals = {
            "name": profile.get("displayName") or self.name,
            "language": profile.get("language") or self.language,
            "status_message": profile.get("statusMessage") or False,
            "profile_date": fields.Datetime.now(),
        }
        picture_url = profile.get("pictureUrl")
        if picture_url and picture_url != self.picture_url:
            vals["picture_url"] = picture_url
            picture = client.fetch_picture(picture_url)
            if picture:
                vals["image_128"] = base64.b64encode(picture)
        if not (group_id or room_id) and self.friend_state == "unknown":
            vals["friend_state"] = "friend"  # LINE describes a user to a bot only if they are friends
        self.write(vals)
        self._show_profile(previous_name, vals.get("image_128"))
        return True

    def _show_profile(self, previous_name, picture):
        """The customer's own conversations and guest are named after them (group chats are not), and
        show their new picture, which they read from here: Discuss is told to load it again."""
        for conversation in self.conversation_ids.filtered(lambda c: not c.line_chat_id):
            if conversation.name == previous_name != self.name:
                # sudo: discuss.channel - the integration keeps the customer's name current
                conversation.sudo().write({"name": self.name})  # Discuss tells the members
            if picture:
                # The avatar's URL carries its cache key: a new key makes Discuss load the new picture.
                conversation._bus_send_store(conversation, {"avatarCacheKey": conversation.avatar_cache_key})
        if self.guest_id:
            # Also when only the picture changed: the guest's write date is its avatar's cache key.
            self.guest_id.write({"name": self.name})

    # ------------------------------------------------------------------
    # Assignment
    # ------------------------------------------------------------------

    def _previous_assignee(self):
        """Who answered this customer before, on any conversation."""
        self.ensure_one()
        previous = self.env["discuss.channel"].search(
            [("line_identity_id", "=", self.id), ("line_assignee_id", "!=", False)],
            order="line_last_customer_date desc, id desc", limit=1)
        return previous.line_assignee_id

    # ------------------------------------------------------------------
    # Linking to contacts
    # ------------------------------------------------------------------

    def _link_partner(self, partner):
        """Say who this LINE user is: their past and future messages are the contact's."""
        self.ensure_one()
        previous = self.partner_id
        if previous == partner:
            return
        self.partner_id = partner
        self._reauthor_messages(previous)
        for conversation in self.conversation_ids:
            conversation._line_send_store()
            note = conversation._line_notify(
                self.env._("%(name)s is linked to the contact %(contact)s by %(user)s.",
                  name=self.name, contact=partner.display_name, user=self.env.user.name) if partner else
                self.env._("%(name)s is no longer linked to %(contact)s (by %(user)s).",
                  name=self.name, contact=previous.display_name, user=self.env.user.name))
            self.env["discuss.channel.member"]._line_see_own_note(conversation, note)

    def action_unlink_partner(self):
        for identity in self:
            identity._link_partner(self.env["res.partner"])

    def _reauthor_messages(self, previous):
        """The customer's messages in Discuss are authored by their contact, or by their guest."""
        guest = self._get_guest()
        # sudo: mail.message - re-authoring what the customer wrote, in conversations the user can see
        messages = self.env["mail.message"].sudo().search([
            ("model", "=", "discuss.channel"), ("line_message_id", "!=", False),
            "|", ("author_guest_id", "=", guest.id),
            "&", ("author_id", "=", previous.id or -1), ("res_id", "in", self.conversation_ids.ids),
        ])
        if self.partner_id:
            messages.write({"author_id": self.partner_id.id, "author_guest_id": False})
        else:
            messages.write({"author_id": False, "author_guest_id": guest.id})
        for conversation in self.conversation_ids:
            conversation._bus_send_store(messages.filtered(lambda m, c=conversation: m.res_id == c.id))

    def _create_partner_from_profile(self):
        """A contact made of what LINE tells: name, picture, language."""
        self.ensure_one()
        partner = self.env["res.partner"].create(self._partner_values_from_profile())
        self._link_partner(partner)
        return partner

    def _partner_values_from_profile(self):
        self.ensure_one()
        lang = utils.lang_code(self.language)
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        return {
            "name": self.name,
            "image_1920": self.image_128,
            "lang": lang if lang in installed else False,
            "comment": self.env._("From LINE (%s)", self.provider_name),
        }

    def _suggest_partners(self, limit=8):
        """Contacts that may be this LINE user, most alike names first.

        Names are compared without their spaces (Japanese names are written with or without one
        between family and given name): "山田花子" finds "山田 花子", and the reverse.
        """
        self.ensure_one()
        Partner = self.env["res.partner"]
        name = self.name or ""
        compact = "".join(name.split())
        terms = {compact, *[w for w in name.split() if len(w) > 1][:3]} - {""}
        if not terms:
            return Partner
        # A domain cannot compare names without their spaces: SQL finds the candidates (closest
        # lengths first), and the search below keeps only the contacts the user may see.
        Partner.flush_model(["name"])
        without_spaces = tools.SQL("regexp_replace(name, %s, '', 'g')", "[[:space:]\u3000]+")
        self.env.cr.execute(tools.SQL(
            "SELECT id FROM res_partner WHERE %s ORDER BY abs(char_length(%s) - %s), id LIMIT %s",
            tools.SQL(" OR ").join(tools.SQL("%s ILIKE %s", without_spaces, f"%{tools.escape_psql(term)}%")
                                   for term in sorted(terms)),
            without_spaces, len(compact), const.LINK_SUGGESTION_CANDIDATES))
        candidates = Partner.search([("id", "in", [row[0] for row in self.env.cr.fetchall()])])
        ranked = sorted(candidates, key=lambda p: (-utils.name_similarity(p.name, self.name), p.id))
        return Partner.browse([p.id for p in ranked[:limit]])

    def write(self, vals):
        # Who the customer is at LINE changes only as LINE says (the integration writes it).
        guarded = {"line_user_id", "provider_name", "guest_id"}.intersection(vals)
        if guarded and not self.env.su:
            raise LineGuardError(self, guarded)
        return super().write(vals)

    def action_line_reply_later(self):
        """Snooze: a dated "Reply on LINE" activity on the customer, for me by default.

        It is marked done when someone answers the customer.
        """
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reply later"),
            "res_model": "mail.activity.schedule",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": "line.identity",
                "active_id": self.id,
                "active_ids": self.ids,
                "default_activity_type_id": self.env.ref("line_connector.mail_activity_type_reply_line").id,
                "default_activity_user_id": self.env.uid,
                "default_date_deadline": fields.Date.context_today(self) + timedelta(days=1),
                "line_reply_later": True,
            },
        }

    def unlink(self):
        # The customer's conversations, messages, files, guest and events go too, not only this row.
        self.env["line.privacy"]._erase(self)
        return super().unlink()

    def action_line_forget(self):
        """Forget this LINE customer (LINE managers): everything Odoo keeps of them goes, a note stays."""
        self.env["line.privacy"]._forget(self)
        action = self.env["ir.actions.act_window"]._for_xml_id("line_connector.line_erasure_action")
        return action

    def action_open_link_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Link %s to a contact", self.name),
            "res_model": "line.link.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_identity_id": self.id},
        }
