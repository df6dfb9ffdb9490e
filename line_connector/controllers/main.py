import logging

from werkzeug.exceptions import BadRequest, NotFound, Unauthorized

from odoo import http
from odoo.http import request

from .. import const
from ..tools.webhook_body import NotLineBody

_logger = logging.getLogger(__name__)


class LineWebhookController(http.Controller):

    @http.route(
        f"{const.WEBHOOK_ROUTE}/<string:token>", type="http", auth="public", methods=["POST"],
        csrf=False, save_session=False, max_content_length=const.WEBHOOK_MAX_BYTES,
    )
    def line_webhook(self, token):
        """Verify, store and acknowledge what LINE sends; processing happens later, in a cron job.

        A correctly signed body is always stored (an event Odoo cannot understand is parked for a
        person): 400 is only for a body that is not LINE's at all.
        """
        # sudo: line.channel - LINE calls anonymously; the unguessable token in the URL picks the channel.
        channel = request.env["line.channel"].sudo()._get_by_webhook_token(token)
        if not channel:
            raise NotFound()
        body = request.httprequest.get_data()
        try:
            stored = channel._receive_webhook(body, request.httprequest.headers.get(const.SIGNATURE_HEADER))
        except NotLineBody as error:
            raise BadRequest(str(error)) from error
        if stored is None:
            raise Unauthorized("Invalid LINE signature")
        return request.make_response("OK", headers=[("Content-Type", "text/plain")])
