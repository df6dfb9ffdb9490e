import { registry } from "@web/core/registry";

/**
 * A LINE manager gives the shared channel to Shop A and Shop B's customers to Shop B's own account:
 * the wizard says, before anything changes, who keeps chatting and who must add which account.
 */
registry.category("web_tour.tours").add("line_connector_switch_wizard", {
    steps: () => [
        {
            trigger: ".o_form_view button[name='action_open_switch_wizard']",
            run: "click",
        },
        {
            content: "One account per company afterwards",
            trigger: ".modal .o_field_widget[name='scope'] input[data-value='company']",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='line_ids'] .o_data_row:contains('Shop B') td[name='channel_id']",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='line_ids'] .o_selected_row td[name='channel_id'] input",
            run: "edit Shop B LINE",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Shop B LINE')",
            run: "click",
        },
        {
            content: "The report: Shop A's customer keeps chatting",
            trigger: ".modal .o_line_switch_impact tr:contains('Shop A'):contains('Customer A')",
        },
        {
            content: "Shop B's customer must add Shop B's account: its add-friend link is there to send",
            trigger: ".modal .o_line_switch_impact tr:contains('Shop B'):contains('Customer B') a[href^='https://line.me/R/ti/p/']",
        },
        {
            trigger: ".modal-footer button[name='action_apply']",
            run: "click",
        },
        {
            trigger: ".modal-footer .btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "The follow-up list: who must add which account",
            trigger: ".o_list_view .o_data_row:contains('Customer B'):contains('Shop B LINE')",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Customer A')))",
        },
    ],
});
