"""The connection check: asking LINE about a channel, and saying in plain words what is right
and what is wrong (the channel form's report)."""

from datetime import datetime

import pytz
from markupsafe import Markup, escape

from odoo import fields
from odoo.tools import str2bool

from .. import const
from ..tools import line_api


class ChannelCheck:
    """One check of one channel (``line.channel.action_check_connection``)."""

    def __init__(self, channel):
        channel.ensure_one()
        self.channel = channel
        self.env = channel.env

    def run(self, extra_problems=()):
        """Ask LINE about this channel and write, in plain words, what is right and what is wrong.

        :param extra_problems: problems found before (a failed webhook test), shown first
        """
        client = self.channel._line_client()
        problems, notes, vals = list(extra_problems), [], {"check_date": fields.Datetime.now()}
        try:
            vals.update(self._bot_info(client, problems, notes))
            vals.update(self._webhook(client, problems))
            vals.update(self._quota(client, problems))
        except line_api.LineAuthError as error:
            problems.append(self.env._(
                "LINE does not accept these credentials: %(error)s. Copy the Channel ID and Channel "
                "secret again from LINE Developers Console > your channel > Basic settings.", error=error))
        except line_api.LineError as error:
            problems.append(self.env._("LINE could not be asked (%(error)s). Try again in a moment.", error=error))
        self._base_url(notes)
        blocking = "bot_user_id" not in vals or any(isinstance(p, Blocking) for p in problems)
        vals["check_state"] = "error" if blocking else ("warning" if problems else "ok")
        vals["check_report"] = self._report(problems, notes)
        self.channel.write(vals)
        return vals["check_state"]

    def _bot_info(self, client, problems, notes):
        info = client.bot_info()
        chat_mode = info.get("chatMode")
        if chat_mode == const.CHAT_MODE_CHAT:
            notes.append(self.env._(
                "Chat is on in LINE Official Account Manager: customers' messages can be marked as read "
                "from Odoo, but answers typed in LINE's own chat screen do not appear in Odoo."))
        elif chat_mode == const.CHAT_MODE_BOT:
            notes.append(self.env._(
                "Chat is off (bot mode) in LINE Official Account Manager: Odoo answers every message; "
                "LINE cannot show customers that their messages were read."))
        notes.append(self.env._(
            "LINE does not report greeting and auto-reply messages: turn both off in LINE Official "
            "Account Manager > Settings > Response settings, or customers get LINE's automatic answers "
            "besides yours."))
        if self.channel.bot_user_id and info.get("userId") and info["userId"] != self.channel.bot_user_id:
            return self._other_account(info, problems)
        return {
            "bot_user_id": info.get("userId"),
            "bot_basic_id": info.get("basicId"),
            "bot_display_name": info.get("displayName"),
            "bot_picture_url": info.get("pictureUrl"),
            "chat_mode": chat_mode if chat_mode in (const.CHAT_MODE_CHAT, const.CHAT_MODE_BOT) else False,
            "pending_bot_user_id": False, "pending_bot_basic_id": False, "pending_bot_display_name": False,
            # sudo: line.channel - the credentials that reached this account, kept for "It was a mistake"
            "checked_channel_number": self.channel.sudo().channel_number,
            "checked_channel_secret": self.channel.sudo().channel_secret,
        }

    def _other_account(self, info, problems):
        """The credentials now lead to another Official Account: never written over the one this
        channel's conversations are with. A LINE manager says whether it is a new account."""
        problems.append(Blocking(self.env._(
            "These credentials belong to another LINE Official Account (%(new)s, %(new_id)s) than the one this "
            "channel is connected to (%(old)s, %(old_id)s). If it is a mistake, enter the Channel ID and secret "
            "of %(old)s again. If %(new)s replaces it, click 'This is a new Official Account': customers must "
            "add it as a friend, and only under the same LINE provider does Odoo recognise them.",
            new=info.get("displayName") or "-", new_id=info.get("basicId") or info["userId"],
            old=self.channel.bot_display_name or "-", old_id=self.channel.bot_basic_id or self.channel.bot_user_id)))
        return {"bot_user_id": self.channel.bot_user_id, "pending_bot_user_id": info["userId"],
                "pending_bot_basic_id": info.get("basicId"), "pending_bot_display_name": info.get("displayName")}

    def _webhook(self, client, problems):
        endpoint = client.get_webhook_endpoint()
        if not endpoint:
            problems.append(Blocking(self.env._(
                "No webhook URL is set at LINE, so Odoo receives no messages. Click 'Register webhook', "
                "or paste %(url)s in LINE Developers Console > Messaging API > Webhook URL.",
                url=self.channel.webhook_url)))
            return {"webhook_registered_url": False, "webhook_active": False}
        registered = endpoint.get("endpoint") or ""
        if registered != self.channel.webhook_url:
            problems.append(Blocking(self.env._(
                "LINE sends this channel's events to %(other)s, not to Odoo. Click 'Register webhook' "
                "(it takes the webhook over from any other tool), or paste %(url)s in LINE Developers "
                "Console > Messaging API > Webhook URL.", other=registered, url=self.channel.webhook_url)))
        if not endpoint.get("active"):
            problems.append(Blocking(self.env._(
                "'Use webhook' is off: LINE sends nothing to Odoo. Turn it on in LINE Official Account "
                "Manager > Settings > Response settings > Webhook (or LINE Developers Console > "
                "Messaging API > Use webhook).")))
        return {"webhook_registered_url": registered, "webhook_active": bool(endpoint.get("active"))}

    def _quota(self, client, problems):
        quota = client.quota()
        limit, used = quota.get("value") or 0, quota.get("used") or 0
        if quota.get("type") == "limited":
            if used >= limit:
                problems.append(self.env._(
                    "The monthly message quota is spent (%(used)s of %(limit)s): messages that need a "
                    "push fail until next month or until you change plan in LINE Official Account "
                    "Manager. Replies within a minute of a customer's message are free and still work.",
                    used=used, limit=limit))
            elif used >= limit * 0.9:
                problems.append(self.env._("%(used)s of the %(limit)s messages of this month's quota are used.",
                                  used=used, limit=limit))
        return {"quota_type": quota.get("type"), "quota_limit": limit, "quota_checked_used": used,
                "quota_checked_date": fields.Datetime.now()}

    def _base_url(self, notes):
        """The webhook URL and the links of the images sent are built on Odoo's base URL."""
        if self.channel.sudo().api_url.rstrip("/") != const.DEFAULT_API_URL:
            return  # the emulator, or a test double: any URL it can reach will do
        if not self.channel.get_base_url().startswith("https://"):
            notes.append(self.env._(
                "Odoo's base URL (%(url)s) is not HTTPS: LINE only calls HTTPS webhooks with a trusted "
                "certificate, and only fetches images from HTTPS links. Set web.base.url to your public "
                "HTTPS address.", url=self.channel.get_base_url()))
        # sudo: ir.config_parameter - reading a system setting for the check
        if not str2bool(self.env["ir.config_parameter"].sudo().get_param("web.base.url.freeze", "False")):
            notes.append(self.env._(
                "Odoo changes its base URL to the address an administrator logs in with, and LINE would "
                "then get links to that address. Set the system parameter web.base.url.freeze to True."))

    def _report(self, problems, notes):
        def items(lines):
            return Markup("").join(Markup("<li>%s</li>") % escape(str(line)) for line in lines)

        report = Markup("")
        if problems:
            report += Markup('<p><strong>%s</strong></p><ul class="o_line_problems">%s</ul>') % (
                self.env._("What to fix"), items(problems))
        else:
            report += Markup("<p><strong>%s</strong></p>") % self.env._(
                "LINE accepts the credentials and sends events to Odoo.")
        if notes:
            report += Markup('<p><strong>%s</strong></p><ul class="o_line_notes">%s</ul>') % (
                self.env._("Good to know"), items(notes))
        return report


def quota_used(channel):
    """Messages of this month's quota known to be spent: LINE's count at the channel's last
    check plus the pushes sent since. Sending never writes the channel's row: two sending
    jobs would collide on it."""
    tz = pytz.timezone(const.QUOTA_TIMEZONE)
    local_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
    month_start = tz.localize(datetime(local_now.year, local_now.month, 1)).astimezone(pytz.utc).replace(
        tzinfo=None)
    since, used = channel.quota_checked_date, channel.quota_checked_used
    if not since or since < month_start:  # LINE counts from zero each month
        since, used = month_start, 0
    # sudo: line.message - every push sent counts against the quota, whoever reads the figure.
    # LINE counts a request once, whatever its bubbles: the rows sent together share a retry key.
    groups = channel.env["line.message"].sudo()._read_group([
        ("channel_id", "=", channel.id), ("method", "=", "push"), ("state", "=", "sent"),
        ("sent_date", ">=", since)], [], ["retry_key:count_distinct"])
    return used + (groups[0][0] if groups else 0)


class Blocking(str):
    """A problem that stops messages from arriving at all (the check is then 'Not working')."""
