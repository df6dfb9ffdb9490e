import { Thread } from "@mail/core/common/thread_model";

import { patch } from "@web/core/utils/patch";

/** What the LINE inbox knows of a conversation: to do or done, and its tags. */
patch(Thread.prototype, {
    setup() {
        super.setup(...arguments);
        /** @type {boolean|undefined} LINE: the customer waits for an answer (to do). */
        this.line_unreplied = undefined;
        /** @type {{id: number, name: string, color: number}[]|undefined} LINE: the conversation's tags. */
        this.line_tags = undefined;
    },
});
