import mimetypes

from odoo import api, fields, models

from .. import const
from ..exceptions import LineContentNotReady, LineEventWaits
from ..tools import line_api, render
from .line_inbound import Post


class LineInbound(models.AbstractModel):
    """Media a customer sends (images, image sets, video, audio, files): LINE keeps their content
    until it is downloaded, straight into Odoo's filestore."""

    _inherit = "line.inbound"

    @api.model
    def _message_image(self, event, message, sender):
        if event.image_set_total > 1:
            return self._prepare_image_set(event, message, sender)
        return self._prepare_content(event, [message], sender)

    @api.model
    def _message_video(self, event, message, sender):
        return self._prepare_content(event, [message], sender)

    _message_audio = _message_video
    _message_file = _message_video

    @api.model
    def _prepare_content(self, event, messages, sender, image_set=False):
        """Download the content of one or several media messages into attachments.

        A video or audio LINE is still preparing is posted at once, in its place among the
        customer's messages, saying so; its file is added to that message when ready.
        """
        attachments = self.env["ir.attachment"]
        links = []
        for item in messages:
            provider = item.get("contentProvider") or {}
            if provider.get("type") == "external":
                links.append(provider.get("originalContentUrl"))
                continue
            try:
                attachments |= self._download(event, item, pending_for=sender)
            except LineContentNotReady:
                if image_set:  # images are never prepared: wait for all of them
                    raise
                event.content_pending = True
                what = {"video": self.env._("video"), "audio": self.env._("audio message")}.get(
                    item.get("type"), self.env._("file"))
                return Post(render.note(self.env._(
                    "LINE is still preparing this %s: it appears here when ready.", what)))
        if links:
            body = render.links(links)
        elif not attachments:
            body = render.unsent(self.env)  # LINE no longer has it (410): unsent before it could be fetched
        else:
            body = ""
        return Post(body, attachments.ids)

    @api.model
    def _download(self, event, message, pending_for=None):
        """Stream a message's content from LINE into an attachment (none when LINE has it no more).

        ``pending_for``: the customer, when they post as their guest: Discuss lets a guest post the
        files they uploaded themselves, so the file is uploaded as theirs, pending.
        """
        client = event.channel_id._line_client()
        Attachment = self.env["ir.attachment"]
        if pending_for and not pending_for.partner_id:
            Attachment = Attachment.with_user(self.env.ref("base.public_user"))
            target = {"res_model": "mail.compose.message", "res_id": 0}
        else:
            target = {"res_model": "discuss.channel", "res_id": event.conversation_id.id}
        try:
            # sudo: ir.attachment - the cron stores the customer's file where they posted it
            attachment = Attachment.sudo()._line_create_streamed(
                lambda file: client.download_content(message["id"], file, max_bytes=const.MAX_CONTENT_BYTES),
                lambda mimetype: message.get("fileName") or self._content_name(message, mimetype), target)
        except line_api.LineGoneError:
            return self.env["ir.attachment"]  # unsent before we could fetch it: nothing to keep
        if attachment is None:
            raise LineContentNotReady(message["id"])
        return attachment

    @staticmethod
    def _content_name(message, mimetype):
        default = const.DEFAULT_CONTENT_NAMES.get(message.get("type"), "file")
        extension = mimetypes.guess_extension(mimetype) or ""
        stem = default.rsplit(".", 1)[0]
        return f"{stem}-{message['id']}{extension}" if extension else f"{default}-{message['id']}"

    @api.model
    def _finish_content(self, event, message):
        """The file LINE has now prepared joins the message posted in its place."""
        attachment = self._download(event, message)
        posted = event.message_id.sudo()
        body = "" if attachment else render.unsent(self.env)
        self._update_message(posted, body, attachment_ids=(posted.attachment_ids | attachment).ids)
        event.content_pending = False

    @api.model
    def _prepare_image_set(self, event, message, sender):
        """Post the images a customer sent together as one message, in the order they chose.

        LINE delivers each image of a set as its own event, in any order: the set is posted
        when all its events are stored (or after a short wait, with those that came).
        """
        members = event._image_set_members()
        posted = members.filtered(lambda member: member.state == "done" and member.message_id)[:1]
        if posted:
            return self._add_to_posted_set(event, message, posted)
        if members.filtered(lambda member: member.state == "done"):
            return None  # posted with an earlier member of the set
        waited = (fields.Datetime.now() - min(members.mapped("create_date"))).total_seconds()
        if len(members) < event.image_set_total and waited < const.IMAGE_SET_WAIT:
            raise LineEventWaits(event.image_set_id)
        messages = [member._data().get("message") or {} for member in members]
        post = self._prepare_content(event, messages, sender, image_set=True)
        (members - event).write({"state": "done", "conversation_id": event.conversation_id.id, "error": False})
        return post

    @api.model
    def _add_to_posted_set(self, event, message, posted):
        """An image of a set that came after the set was posted (LINE was late): added to it."""
        attachment = self._download(event, message)
        if attachment:
            mail_message = posted.message_id.sudo()
            self._update_message(mail_message, mail_message.body,
                                 attachment_ids=(mail_message.attachment_ids | attachment).ids)
        event.message_id = posted.message_id
