from odoo import models

from ..tools.pg_notify import notifier


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _notifydb(self):
        """The LINE queues' jobs are woken over the connection the process keeps (tools/pg_notify.py)."""
        if self.id not in self.env["line.queue.mixin"]._queue_all_job_ids():
            return super()._notifydb()
        return notifier.notify("cron_trigger", self.env.cr.dbname)
