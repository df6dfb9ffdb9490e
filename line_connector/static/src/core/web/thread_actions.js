import { threadActionsRegistry } from "@mail/core/common/thread_actions";

import { _t } from "@web/core/l10n/translation";

/** In a LINE conversation: who the customer is (link to a contact) and who answers (assignee). */
threadActionsRegistry.add("line-customer", {
    condition(component) {
        return component.thread?.channel_type === "line";
    },
    icon: "fa fa-fw fa-address-card-o",
    name: _t("LINE Customer"),
    open(component) {
        component.env.services.action.doAction({
            type: "ir.actions.act_window",
            name: _t("LINE Customer"),
            res_model: "discuss.channel",
            res_id: component.thread.id,
            views: [[false, "form"]],
            target: "new",
            context: { form_view_ref: "line_connector.discuss_channel_view_form_line" },
        });
    },
    sequence: 5,
    sequenceGroup: 5,
});

threadActionsRegistry.add("line-sticker", {
    condition(component) {
        return component.thread?.channel_type === "line";
    },
    icon: "fa fa-fw fa-smile-o",
    name: _t("Send a LINE sticker"),
    open(component) {
        component.env.services.action.doAction("line_connector.line_sticker_action_picker", {
            additionalContext: { line_conversation_id: component.thread.id },
        });
    },
    sequence: 6,
    sequenceGroup: 5,
});
