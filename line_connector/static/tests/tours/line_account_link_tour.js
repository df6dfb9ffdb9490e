import { registry } from "@web/core/registry";

/** The operator asks the customer to link their account: /linkaccount in the conversation. */
registry.category("web_tour.tours").add("line_connector_account_link_send", {
    steps: () => [
        {
            trigger: ".o-mail-Message:contains('I have an account on your site')",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit /linkacc",
        },
        {
            content: "The command is offered in a LINE conversation",
            trigger: ".o-mail-Composer-suggestion:contains('linkaccount')",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            content: "The command ran (the message it posts reaches this page through the bus, which a test does not run)",
            trigger: "body:not(:has(.o-mail-Composer-suggestionList .o-mail-Composer-suggestion))",
        },
    ],
});

/** Back in Odoo: the conversation says who the customer is now. */
registry.category("web_tour.tours").add("line_connector_account_link_linked", {
    steps: () => [
        {
            content: "The link the operator sent",
            trigger: ".o-mail-Message:contains('To link your LINE account to your account with us')",
        },
        {
            trigger: ".o-mail-Thread:contains('is linked to the contact Hanako Yamada (portal)')",
        },
        {
            trigger: ".o-mail-Message:contains('your LINE account is now linked')",
        },
    ],
});

/** A customer sent the code of a personal invitation: the operator sees who it may be and links them. */
registry.category("web_tour.tours").add("line_connector_invitation_link", {
    steps: () => [
        {
            content: "The conversation says who the customer may be",
            trigger: ".o-mail-Thread:contains('This may be Hanako Yamada') a[data-oe-model='line.invitation']",
            run: "click",
        },
        {
            content: "The invitation says what the code proves, and offers to link",
            trigger: ".o_form_view:contains('The code proves nothing about who sent it') button[name='action_line_link']",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_arrow_button_current:contains('Linked')",
        },
    ],
});
