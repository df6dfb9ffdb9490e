import { Message } from "@mail/core/common/message";

import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

/** Clicking the failure mark of a LINE message offers to send it again (same retry key). */
patch(Message.prototype, {
    onClickFailure(ev) {
        const failure = this.message.failureNotifications.find((n) => n.notification_type === "line");
        if (!failure) {
            return super.onClickFailure(ev);
        }
        this.env.services.dialog.add(ConfirmationDialog, {
            title: _t("Not sent to LINE"),
            body: failure.failure_reason || _t("LINE did not accept this message."),
            confirmLabel: _t("Resend"),
            confirm: () =>
                this.env.services.orm.call("discuss.channel", "line_resend_message", [
                    this.message.thread.id,
                    this.message.id,
                ]),
            cancel: () => {},
        });
    },
});
