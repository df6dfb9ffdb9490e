from odoo import models
from odoo.tools import OrderedSet

from odoo.addons.bus.models.bus import get_notify_payloads

from .. import const
from ..tools.pg_notify import notifier


class BusBus(models.Model):
    _inherit = "bus.bus"

    def _ensure_hooks(self):
        """In the LINE queues' jobs, tell the bus over the connection the process keeps
        (tools/pg_notify.py): Odoo's hook would open one for every request sent, every event."""
        postcommit = self.env.cr.postcommit
        if self.env.context.get(const.CTX_QUEUE_JOB) and "bus.bus.channels" not in postcommit.data:
            postcommit.data["bus.bus.channels"] = OrderedSet()  # Odoo's hook is then not added

            @postcommit.add
            def notify():
                # As Odoo's: once the notifications are committed, the listeners fetch them.
                for payload in get_notify_payloads(list(postcommit.data.pop("bus.bus.channels"))):
                    notifier.notify("imbus", payload)
        return super()._ensure_hooks()
