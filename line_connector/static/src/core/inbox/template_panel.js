import { Component, onWillStart, useState } from "@odoo/owl";

import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/**
 * The LINE template picker beside a conversation: each template as this customer will read it;
 * "Insert" puts it into the composer, to edit before sending (its quick replies go with it).
 */
export class LineTemplatePanel extends Component {
    static template = "line_connector.LineTemplatePanel";
    static props = ["thread", "close?"];

    setup() {
        this.orm = useService("orm");
        this.state = useState({ templates: [], loaded: false });
        onWillStart(async () => {
            this.state.templates = await this.orm.call("line.template", "line_get_picker", [
                this.props.thread.id,
            ]);
            this.state.loaded = true;
        });
    }

    get title() {
        return _t("LINE Templates");
    }

    insert(template) {
        const composer = this.props.thread.composer;
        composer.text = template.text;
        composer.lineTemplateId = template.id;
        composer.selection.start = composer.selection.end = template.text.length;
        composer.forceCursorMove = true;
        composer.autofocus++;
        this.props.close?.();
    }
}
