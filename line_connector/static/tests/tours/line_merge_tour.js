import { registry } from "@web/core/registry";

/**
 * 名寄せ from where the operator works: the conversation's LINE Customer window says who may be the
 * same person; "Same person…" and the suggestion's "Same person" put both on one contact.
 */
registry.category("web_tour.tours").add("line_connector_merge", {
    steps: () => [
        {
            trigger: ".o-mail-Discuss-header button[name='line-customer']",
            run: "click",
        },
        {
            content: "The customer window shows who may be the same person, under another provider",
            trigger: ".modal .o_line_similar:contains('山田 花子'):contains('provider-osaka')",
        },
        {
            trigger: ".modal .o_line_similar button[name='action_line_open_merge']",
            run: "click",
        },
        {
            content: "The suggestion says why",
            trigger: ".modal .o_data_row:contains('山田 花子'):contains('Same name')",
        },
        {
            trigger: ".modal .o_data_row:contains('山田 花子') button[name='action_merge']",
            run: "click",
        },
        {
            content: "The dialogs are closed: the contact opens in their place",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Both LINE customers are on one contact, whose LINE history holds both conversations",
            trigger: ".o_action_manager .o_form_view button[name='action_view_line_history']:contains('2')",
        },
    ],
});
