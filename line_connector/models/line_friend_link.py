from markupsafe import Markup

from odoo import api, models

from .. import utils


class LineFriendLink(models.AbstractModel):
    """``/friendlink``: send the customer an Official Account's add-friend link (and its QR code)."""

    _name = "line.friend.link"
    _description = "LINE Add-friend Link Command"

    @api.model
    def _execute_command(self, conversation, body):
        """``/friendlink [qr] [channel]`` in ``conversation``: its account, or the channel named (its
        name or basic ID), as a link in the customer's language; ``qr`` adds the QR code as an image."""
        conversation.ensure_one()
        words = (body or "").split()[1:]
        with_qr = bool(words) and words[0].lower() == "qr"
        wanted = " ".join(words[1:] if with_qr else words).strip()
        channel = self._channel(conversation, wanted)
        if not channel:
            self._help(conversation, wanted)
            return
        identity = conversation.line_identity_id
        lang = identity.partner_id.lang or utils.lang_code(identity.language) or self.env.lang
        if not self.env["res.lang"]._lang_get(lang):
            lang = self.env.lang
        text = self.with_context(lang=lang).env._(
            "Add %(account)s as a friend on LINE: %(url)s",
            account=channel.bot_display_name or channel.name, url=channel.friend_url)
        attachments = self.env["ir.attachment"]
        if with_qr:
            attachments = attachments.create({
                "name": channel.friend_qr_filename, "datas": channel.friend_qr, "mimetype": "image/png",
                "res_model": "discuss.channel", "res_id": conversation.id})
        conversation.message_post(body=text, attachment_ids=attachments.ids, message_type="comment",
                                  subtype_xmlid="mail.mt_comment")

    @api.model
    def _channel(self, conversation, wanted):
        """The channel whose link to send: the conversation's, or the one named (of the user's companies)."""
        if not wanted:
            # sudo: line.channel - the conversation's own account, seen by whoever sees the conversation
            channel = conversation.line_channel_id.sudo()
            return channel if channel.friend_url else channel.browse()
        channels = self.env["line.channel"].search([("bot_basic_id", "!=", False)])
        key = wanted.casefold()
        return channels.filtered(lambda c: key in (c.name.casefold(), c.bot_basic_id.casefold()))[:1] \
            or channels.filtered(lambda c: key in c.name.casefold())[:1]

    @api.model
    def _help(self, conversation, wanted):
        channels = self.env["line.channel"].search([("bot_basic_id", "!=", False)])
        listing = Markup("<br/>").join(
            Markup("<b>/friendlink %s</b>: %s") % (c.bot_basic_id, c.name) for c in channels)
        intro = self.env._("No LINE channel %r with an add-friend link. Available:", wanted) if wanted else \
            self.env._("This conversation's LINE channel has no add-friend link yet (Check connection reads its "
                       "basic ID). Available:")
        self.env.user._bus_send_transient_message(conversation, Markup("%s<br/>%s") % (
            intro, listing or self.env._("none (check the channels' connection first)")))
