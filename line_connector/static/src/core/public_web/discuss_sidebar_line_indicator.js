import { Thread } from "@mail/core/common/thread_model";
import { discussSidebarChannelIndicatorsRegistry } from "@mail/discuss/core/public_web/discuss_sidebar_categories";

import { Component, xml } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

/** In the sidebar, a LINE conversation whose customer is not linked to a contact yet. */
export class DiscussSidebarLineIndicator extends Component {
    static template = xml`<i t-if="props.thread.channel_type === 'line' and props.thread.line_is_linked === false"
        class="o-line-DiscussSidebarChannel-notLinked fa fa-user-plus text-warning mx-1" t-att-title="title"/>`;
    static props = { thread: { type: Thread } };

    get title() {
        return _t("LINE customer not linked to a contact");
    }
}

discussSidebarChannelIndicatorsRegistry.add("line-not-linked", DiscussSidebarLineIndicator);
