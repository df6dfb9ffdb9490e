import { Message } from "@mail/core/common/message";

import { patch } from "@web/core/utils/patch";

/** An internal note in a LINE conversation looks unlike anything sent to the customer. */
patch(Message.prototype, {
    get attClass() {
        const classes = super.attClass;
        const message = this.message;
        classes["o-line-Note"] =
            message.thread?.channel_type === "line" && message.is_note && message.message_type === "comment";
        return classes;
    },
});
