import { DiscussApp } from "@mail/core/public_web/discuss_app_model";
import { Record } from "@mail/core/common/record";

import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

/** A "LINE" category in the Discuss sidebar, as livechat has its own. */
patch(DiscussApp.prototype, {
    setup(env) {
        super.setup(env);
        this.lineCategory = Record.one("DiscussAppCategory", {
            compute() {
                return {
                    extraClass: "o-line-DiscussSidebarCategory",
                    icon: "fa fa-comment",
                    hideWhenEmpty: true,
                    id: "line_connector.category_line",
                    name: _t("LINE"),
                    sequence: 22,
                };
            },
        });
    },
});
