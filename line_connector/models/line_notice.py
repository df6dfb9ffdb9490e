from markupsafe import Markup

from odoo import api, models

from ..const import CTX_INBOUND


class LineNotice(models.AbstractModel):
    """Notes of the integration that people must notice (a new friend, a moved customer).

    Odoo counts no "notification" message as unread (discuss.channel.member counts the others):
    these are posted as messages of OdooBot, unread for every member, and notify the people named
    (their Inbox, or an email if they chose email). The inbound flag keeps them from ever being
    sent to LINE.
    """

    _name = "line.notice"
    _description = "LINE Notices"

    @api.model
    def _announce(self, conversation, body, users=None):
        # sudo: res.users - who is told, whichever company they are in
        partners = (users or self.env["res.users"]).sudo().filtered(lambda u: not u.share).partner_id
        # sudo: discuss.channel - notes of the LINE integration are posted by it, not a user
        return conversation.sudo().with_context(**{CTX_INBOUND: True}).message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self.env.ref("base.partner_root").id, partner_ids=partners.ids)

    @api.model
    def _friend_arrived(self, conversation, body):
        """A friend arrived (or came back): their assignee and the company's team see it unread.

        A shared channel without a company for new customers says who sees the conversation.
        """
        # sudo: line.channel - the channel's routing, read by the integration
        channel = conversation.line_channel_id.sudo()
        users = conversation.line_assignee_id | conversation.line_team_id.member_ids
        if channel.scope == "shared" and not conversation.line_company_id:
            managers = channel._line_first_members()
            users |= managers
            body = Markup("%s<br/>%s") % (body, self.env._(
                "%(channel)s has no company for new customers: only LINE managers see this conversation "
                "(%(names)s are told) until one of them sets that company and routes it.",
                channel=channel.name, names=", ".join(managers.mapped("name")) or self.env._("nobody")))
        # A friend back in a conversation gone quiet: whoever answers them joins it again, and sees it.
        self.env["discuss.channel.member"]._line_rejoin(conversation)
        return self._announce(conversation, body, users)
