import { Notification } from "@mail/core/common/notification_model";

import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { patch } from "@web/core/utils/patch";

/** A message sent to LINE carries a LINE mark: sent, waiting, or failed with LINE's reason. */
patch(Notification.prototype, {
    get icon() {
        if (this.notification_type === "line") {
            return this.isFailure ? "fa fa-exclamation-triangle" : "fa fa-comment-o";
        }
        return super.icon;
    },
    get label() {
        if (this.notification_type === "line") {
            if (this.isFailure) {
                return _t("Not sent to LINE: %s", this.failure_reason || "");
            }
            return this.notification_status === "sent" ? _t("LINE") : _t("Sending to LINE…");
        }
        return super.label;
    },
    /** When LINE took the message, for the popover ("" while it is not sent). */
    get lineSentTime() {
        if (this.notification_type !== "line" || !this.line_sent_date || this.isFailure) {
            return "";
        }
        return formatDateTime(deserializeDateTime(this.line_sent_date));
    },
    /** Mail's popover shows this beside the status icon (a bare ✓ otherwise: LINE has no recipient). */
    get statusTitle() {
        if (this.notification_type === "line") {
            if (this.isFailure) {
                return _t("Not sent to LINE");
            }
            return this.notification_status === "sent" ? _t("Delivered to LINE") : _t("Sending to LINE…");
        }
        return super.statusTitle;
    },
});
