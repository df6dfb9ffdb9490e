import { Composer } from "@mail/core/common/composer";

import { patch } from "@web/core/utils/patch";

/** A LINE conversation LINE would not deliver to now: the composer says why before sending. */
patch(Composer.prototype, {
    get lineComposerNotice() {
        if (this.props.composer.message || this.thread?.channel_type !== "line") {
            return "";
        }
        return this.thread.line_composer_notice || "";
    },
});
