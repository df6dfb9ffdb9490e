from odoo import api, fields, models


class MailGuest(models.Model):
    """The guest a LINE customer speaks as shows their LINE picture, kept once on their identity:
    not copied into the guest's five image sizes (five attachments) on every first contact."""

    _inherit = "mail.guest"

    line_identity_ids = fields.One2many("line.identity", "guest_id", "LINE Customer")

    @api.depends("name", "image_128", "line_identity_ids.image_128")
    def _compute_avatar_128(self):
        super()._compute_avatar_128()  # the avatar Discuss shows: it follows the customer's picture

    def _compute_avatar(self, avatar_field, image_field):
        # sudo: line.identity - the customer's picture, for whoever sees their messages
        pictures = {guest: guest.sudo().line_identity_ids[:1].image_128 for guest in self}
        pictured = self.filtered(lambda guest: pictures[guest])
        super(MailGuest, self - pictured)._compute_avatar(avatar_field, image_field)
        for guest in pictured:
            guest[avatar_field] = pictures[guest]
