import { Notification } from "@mail/core/common/notification_model";

import { _t } from "@web/core/l10n/translation";
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
