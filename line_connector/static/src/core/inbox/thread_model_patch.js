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
    /** `/note <text>`: an internal note, shown at once (a command's result would come by the bus). */
    async post(body) {
        const note = this.channel_type === "line" && body.match(/^\/note\s+(\S[\s\S]*)$/);
        if (note) {
            const data = await this.store.env.services.orm.call("discuss.channel", "line_post_note", [
                [this.id],
                note[1].trim(),
            ]);
            const { Message: messages = [] } = this.store.insert(data, { html: true });
            this.addOrReplaceMessage(messages[0]);
            return messages[0];
        }
        return super.post(...arguments);
    },
});
