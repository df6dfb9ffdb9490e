"""The floor of the inbound benchmark: what the same Odoo does with no LINE code at all.

``bare`` is Odoo's cost of answering a public route (routing, registry, a cursor, a
response); ``post`` adds one Discuss message, posted the way a LINE customer's message
is (as the conversation's guest through the public user, or as OdooBot when the channel
has no guest): the work one LINE text event causes, minus everything LINE-specific.
"""

from markupsafe import escape
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class LineBenchFloor(http.Controller):

    @http.route("/line_bench/floor/bare", type="http", auth="public", methods=["GET", "POST"],
                csrf=False, save_session=False)
    def floor_bare(self):
        request.httprequest.get_data()  # read the body, as the webhook does
        return request.make_response("OK", headers=[("Content-Type", "text/plain")])

    @http.route("/line_bench/floor/post/<int:channel_id>", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def floor_post(self, channel_id):
        # sudo: discuss.channel - a benchmark-only route, installed only in the benchmark database
        channel = request.env["discuss.channel"].sudo().browse(channel_id).exists()
        if not channel:
            raise NotFound()
        body = escape(request.httprequest.get_data(as_text=True) or "floor")
        guest = channel.channel_member_ids.guest_id[:1]
        if guest:
            public = request.env.ref("base.public_user")
            poster = channel.with_user(public).with_context(guest=guest.sudo(False), mail_create_nosubscribe=True)
            poster.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment")
        else:
            channel.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment",
                                 author_id=request.env.ref("base.partner_root").id)
        return request.make_response("OK", headers=[("Content-Type", "text/plain")])
