import { Failure } from "@mail/core/common/failure_model";

import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

/** The messaging menu's entry for a message LINE did not deliver says so (Odoo's says "email"). */
patch(Failure.prototype, {
    get body() {
        if (this.type === "line") {
            return _t("A message could not be delivered on LINE");
        }
        return super.body;
    },
});
