import { Thread } from "@mail/core/common/thread_model";

import { patch } from "@web/core/utils/patch";

/** LINE conversations sit in the LINE category, customers first by latest activity. */
patch(Thread.prototype, {
    _computeDiscussAppCategory() {
        if (this.channel_type === "line") {
            return this.store.discuss.lineCategory;
        }
        return super._computeDiscussAppCategory();
    },
    get hasMemberList() {
        return this.channel_type === "line" || super.hasMemberList;
    },
});
