import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..tools import line_api
from .line_inbound import Post


def _digest(secret):
    """What is kept of a link token or nonce: its SHA-256, so a copy of the database links no one."""
    return hashlib.sha256(secret.encode()).hexdigest() if secret else False


class LineAccountLink(models.Model):
    """One "Link your account" sent to a LINE customer, as LINE's account link goes.

    The operator's request issues a link token at LINE and sends the customer a URL of this site
    carrying it; the customer logs in (their portal account says who they are), Odoo makes a
    one-time nonce tied to them and sends them to LINE's dialog, and LINE's ``accountLink`` event
    with that nonce binds the LINE customer to the portal user's contact. LINE checks that the
    dialog is opened by the LINE user the token was issued for: a forwarded link links no one.
    Tokens and nonces are kept as digests only.
    """

    _name = "line.account.link"
    _description = "LINE Account Link"
    _order = "id desc"

    identity_id = fields.Many2one("line.identity", "LINE Customer", required=True, readonly=True, index=True,
                                  ondelete="cascade")
    channel_id = fields.Many2one("line.channel", "LINE Channel", required=True, readonly=True, ondelete="cascade")
    conversation_id = fields.Many2one("discuss.channel", readonly=True, ondelete="set null")
    requested_by_id = fields.Many2one("res.users", "Sent By", readonly=True, ondelete="set null")
    state = fields.Selection(const.ACCOUNT_LINK_STATES, default="sent", required=True, readonly=True)
    link_token_digest = fields.Char(readonly=True, index="btree_not_null", groups="base.group_system", copy=False)
    link_token_expiry = fields.Datetime("Link Expires", readonly=True)
    nonce_digest = fields.Char(readonly=True, index="btree_not_null", groups="base.group_system", copy=False)
    nonce_expiry = fields.Datetime(readonly=True)
    partner_id = fields.Many2one("res.partner", "Contact", readonly=True, ondelete="cascade",
                                 help="The contact of the account the customer logged in with.")
    failure = fields.Char("Refused Because", readonly=True)

    # ------------------------------------------------------------------
    # 1. The operator sends "Link your account"
    # ------------------------------------------------------------------

    @api.model
    def _send_to(self, conversation):
        """Issue a link token for the conversation's customer and send them the link, as the operator."""
        conversation.ensure_one()
        conversation.check_access("write")
        identity = conversation.line_identity_id
        if conversation.channel_type != "line" or conversation.line_chat_id or not identity:
            raise UserError(self.env._("An account link is sent in a one-to-one LINE conversation."))
        channel = conversation.line_channel_id
        try:
            token = channel._line_client().issue_link_token(identity.line_user_id)
        except line_api.LineError as error:
            raise UserError(self.env._("LINE did not issue a link token (the customer must be a friend of the "
                                       "account): %s", error)) from error
        # sudo: line.account.link - the integration's ledger of link tokens, written after the checks above
        link = self.sudo().create({
            "identity_id": identity.id, "channel_id": channel.id, "conversation_id": conversation.id,
            "requested_by_id": self.env.uid, "link_token_digest": _digest(token),
            "link_token_expiry": fields.Datetime.now() + timedelta(minutes=const.LINK_TOKEN_MINUTES),
        })
        url = f"{channel.get_base_url()}{const.ACCOUNT_LINK_ROUTE}/{token}"
        customer = self._in_customer_lang(conversation)
        conversation.message_post(body=Markup("%s<br/><a href='%s'>%s</a>") % (
            customer.env._("To link your LINE account to your account with us, open this link within %s minutes "
                       "and log in (or sign up):", const.LINK_TOKEN_MINUTES), url, url),
            message_type="comment", subtype_xmlid="mail.mt_comment")
        return link.sudo(False)

    def _in_customer_lang(self, conversation):
        """This model in the customer's language (their contact's, else LINE's), as LINE templates are."""
        lang = self.env["line.template"]._render_lang(conversation.ids)[conversation.id]
        return self.with_context(lang=lang) if lang else self

    # ------------------------------------------------------------------
    # 2. The customer opens the link, logged in
    # ------------------------------------------------------------------

    @api.model
    def _open(self, token, user):
        """The URL of LINE's dialog for the logged-in ``user``, with a new nonce; False for a link
        that is unknown, expired or done. Each opening makes a new nonce (the previous one is void)."""
        link = self.search([("link_token_digest", "=", _digest(token))], limit=1) if token else self
        now = fields.Datetime.now()
        if not link or link.state not in ("sent", "opened") or link.link_token_expiry < now:
            return False
        nonce = secrets.token_urlsafe(const.NONCE_BYTES)
        link.write({"state": "opened", "nonce_digest": _digest(nonce), "partner_id": user.partner_id.id,
                    "nonce_expiry": now + timedelta(minutes=const.NONCE_MINUTES)})
        base = (link.channel_id.access_url or const.DEFAULT_ACCESS_URL).rstrip("/")
        return f"{base}{const.ACCOUNT_LINK_PATH}?{urlencode({'linkToken': token, 'nonce': nonce})}"

    # ------------------------------------------------------------------
    # 3. LINE's accountLink event
    # ------------------------------------------------------------------

    @api.model
    def _on_event(self, event, sender, result, nonce):
        """Bind the customer if LINE says ok for a nonce made for them, on this channel, fresh and unused;
        anything else binds no one and says so in the conversation."""
        link = self.search([("nonce_digest", "=", _digest(nonce))], limit=1) if isinstance(nonce, str) else self
        problem = self._refusal(link, event, sender, result)
        if link:
            # Single use: a nonce LINE sent back is spent, whatever happens now.
            link.write({"nonce_digest": False, "state": "failed" if problem else "linked", "failure": problem})
        if problem:
            return Post(self.env._("LINE account link refused: %s. Nothing was linked.", problem))
        sender._link_partner(link.partner_id)
        link._confirm(event)
        return None

    def _refusal(self, link, event, sender, result):
        """Why this accountLink event must bind no one, or None."""
        if not link:
            return self.env._("the nonce is unknown (never made here, or already used)")
        if link.channel_id != event.channel_id:
            return self.env._("the nonce was made for another LINE channel")
        if link.identity_id != sender:
            return self.env._("the nonce was made for another LINE customer")
        if link.state != "opened" or not link.partner_id:
            return self.env._("the link was already used")
        if link.nonce_expiry < fields.Datetime.now():
            return self.env._("the nonce expired")
        if result != "ok":
            return self.env._("LINE did not confirm it (the link expired, was used, or was opened by another "
                              "LINE account)")
        return None

    def _confirm(self, event):
        """Tell the customer, with the event's free reply token (LINE gives one with a success only)."""
        conversation = event.conversation_id
        author = self.requested_by_id
        if not (event.reply_token and conversation and author and not author.share):
            return
        # sudo: discuss.channel - the confirmation is the operator's who sent the link, posted by the integration
        customer = self._in_customer_lang(conversation)
        conversation.with_user(author).sudo().message_post(
            body=customer.env._("Thank you: your LINE account is now linked to your account with us (%s).",
                                self.partner_id.name),
            author_id=author.partner_id.id, message_type="comment", subtype_xmlid="mail.mt_comment")


class LineIdentityAccountLink(models.Model):
    _inherit = "line.identity"

    def action_line_send_account_link(self):
        """From the LINE customer's form: in their latest one-to-one conversation."""
        self.ensure_one()
        self.check_access("read")
        conversation = self.conversation_ids.filtered(lambda c: not c.line_chat_id).sorted(
            lambda c: (c.line_last_customer_date or fields.Datetime.from_string("1970-01-01"), c.id))[-1:]
        if not conversation:
            raise UserError(self.env._("%s has no conversation to send the link in.", self.name))
        self.env["line.account.link"]._send_to(conversation)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "next": {"type": "ir.actions.act_window_close"},
            "message": self.env._("The account link was sent to %s.", self.name)}}
