import { registry } from "@web/core/registry";

/**
 * An operator finds the LINE conversation in the LINE section of Discuss, sees it is unread and
 * that the customer is not linked to a contact yet, and answers it.
 */
registry.category("web_tour.tours").add("line_connector_discuss", {
    steps: () => [
        {
            trigger: ".o-line-DiscussSidebarCategory:contains('LINE')",
        },
        {
            content: "The unread counter shows on the conversation, as on a chat: the new friend and their message",
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Tour') .o-mail-DiscussSidebarChannel-badge:contains('2')",
        },
        {
            content: "The sidebar marks a customer who is not linked to a contact",
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Tour') .o-line-DiscussSidebarChannel-notLinked",
        },
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Tour')",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('Is the shop open today?')",
        },
        {
            content: "The new friend shows as a message",
            trigger: ".o-mail-Message:contains('Hanako Tour added the account as a friend.')",
        },
        {
            content: "The header says the customer is not linked",
            trigger: ".o-mail-Discuss-header button[name='line-customer'][title='LINE Customer (not linked)'] .fa-user-plus",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit Yes, until 8 pm!",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            trigger: ".o-mail-Message:contains('Yes, until 8 pm!')",
        },
    ],
});
