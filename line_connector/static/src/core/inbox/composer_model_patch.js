import { Composer } from "@mail/core/common/composer_model";
import { Composer as ComposerComponent } from "@mail/core/common/composer";
import { Store } from "@mail/core/common/store_service";

import { patch } from "@web/core/utils/patch";

/**
 * A LINE template inserted into the composer (then maybe edited) is remembered until the message
 * is sent: the server sends the template's quick replies with it.
 */
patch(Composer.prototype, {
    setup() {
        super.setup(...arguments);
        /** @type {number|false} */
        this.lineTemplateId = false;
    },
    clear() {
        super.clear(...arguments);
        this.lineTemplateId = false;
    },
});

patch(ComposerComponent.prototype, {
    get postData() {
        const postData = super.postData;
        if (this.thread?.channel_type === "line" && this.props.composer.lineTemplateId) {
            postData.lineTemplateId = this.props.composer.lineTemplateId;
        }
        return postData;
    },
});

patch(Store.prototype, {
    async getMessagePostParams({ postData, thread }) {
        const params = await super.getMessagePostParams(...arguments);
        if (thread.channel_type === "line" && postData.lineTemplateId) {
            params.post_data.line_template_id = postData.lineTemplateId;
        }
        return params;
    },
});
