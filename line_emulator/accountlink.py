"""LINE's account link: the link-token API and the account-link dialog a customer's LINE app opens.

LINE's sequence (Messaging API, "Linking user accounts"): the bot issues a link token for a user
(``POST /v2/bot/user/{userId}/linkToken``, valid 10 minutes, single use), sends them a URL of its
site, the site redirects the logged-in user to ``/dialog/bot/accountLink?linkToken=...&nonce=...``,
and LINE sends the bot an ``accountLink`` event: ``link.result`` ``ok`` with a reply token, or
``failed`` without one. LINE checks that the dialog is opened by the LINE user the token was issued
for: here the opener is the phone page's current user (its cookie), as the LINE app knows who it is.
"""

import html

from werkzeug.wrappers import Response

from . import const, webhook

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LINE · {title}</title><link rel="stylesheet" href="/static/phone.css"></head>
<body><div class="phone account-link" data-result="{result}">
<h1 id="account-link-title">{title}</h1><p id="account-link-text">{text}</p>
<p><a id="back-to-chat" href="{back}">Back to the chat</a></p></div></body></html>"""


def link_event(user_id, result, nonce, reply_token=None, timestamp=None):
    return webhook.event("accountLink", webhook.user_source(user_id), reply_token=reply_token, timestamp=timestamp,
                         link={"result": result, "nonce": nonce})


def _page(status, title, text, result="", back="/"):
    body = PAGE.format(title=html.escape(title), text=html.escape(text), result=result, back=html.escape(back))
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def dialog(app, request):
    """``GET /dialog/bot/accountLink``: check the opener, consume the token, send the event."""
    state = app.state
    token, nonce = request.args.get("linkToken", ""), request.args.get("nonce", "")
    opener = request.cookies.get(const.PHONE_USER_COOKIE, "")
    record = state.link_token(token)
    if not record:
        return _page(400, "Invalid link", "This account link is not valid.")
    if not (const.NONCE_MIN_LENGTH <= len(nonce) <= const.NONCE_MAX_LENGTH):
        return _page(400, "Invalid link", "The nonce must be 10 to 255 characters.")
    channel = state.channel(record["channel_id"])
    back = f"/?channel={channel.channel_id}&user={opener}"
    if not opener or not state.visible_user(channel, opener):
        # Not a user of the channel's provider: LINE has no one to send an event about.
        return _page(403, "Cannot link", "Open this link in LINE, as a friend of the account.", back=back)
    linked = state.use_link_token(token, opener)
    now_ms = int(state.now() * 1000)
    reply_token = state.issue_reply_token(channel, opener, now_ms) if linked and channel.mode == const.MODE_ACTIVE \
        else None
    event = link_event(opener, "ok" if linked else "failed", nonce, reply_token=reply_token, timestamp=now_ms)
    state.add_chat(channel.channel_id, opener, {
        "direction": "system", "user_id": opener, "kind": "accountLink", "timestamp": now_ms,
        "text": "linked your account" if linked else "account link failed"})
    app.deliverer.deliver(channel, [event], sync=True, check=True)
    if linked:
        return _page(200, "Account linked", f"Your LINE account is linked to {channel.display_name}.", "ok", back)
    return _page(200, "Account link failed", "This link has expired, was used, or is not yours.", "failed", back)
