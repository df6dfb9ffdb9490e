import { Thread } from "@mail/core/common/thread_model";

import { imageUrl } from "@web/core/utils/urls";
import { patch } from "@web/core/utils/patch";

/** LINE conversations sit in the LINE category and count unread messages like chats (as livechat). */
patch(Thread.prototype, {
    setup() {
        super.setup(...arguments);
        /** @type {boolean|undefined} LINE: the customer is linked to a contact (or it is a group). */
        this.line_is_linked = undefined;
        /** @type {string|false|undefined} LINE: why LINE would refuse an answer now (the composer says it). */
        this.line_composer_notice = undefined;
    },
    _computeDiscussAppCategory() {
        if (this.channel_type === "line") {
            return this.store.discuss.lineCategory;
        }
        return super._computeDiscussAppCategory();
    },
    /** The customer's LINE picture (the conversation's image, kept current from their profile). */
    get avatarUrl() {
        if (this.channel_type === "line") {
            return imageUrl("discuss.channel", this.id, "avatar_128", { unique: this.avatarCacheKey });
        }
        return super.avatarUrl;
    },
    get hasMemberList() {
        return this.channel_type === "line" || super.hasMemberList;
    },
    get isChatChannel() {
        return this.channel_type === "line" || super.isChatChannel;
    },
});
