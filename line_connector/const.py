"""Constants of line_connector: LINE's URLs, limits and vocabularies, in one place."""

# Base URLs. LINE serves the bot API and the content API from two hosts; both are
# configurable per channel so that a channel can point at the LINE platform emulator.
DEFAULT_API_URL = "https://api.line.me"
DEFAULT_DATA_URL = "https://api-data.line.me"

# HTTP timeouts (connect, read) in seconds for calls to LINE. line-bot-sdk has none by default.
API_TIMEOUT = (3.05, 10)
CONTENT_TIMEOUT = (3.05, 30)

# Stateless channel access tokens live 15 minutes; re-issue this many seconds before expiry.
TOKEN_REFRESH_MARGIN = 60

# Webhook: the route prefix and the length of the random per-channel token in its URL.
WEBHOOK_ROUTE = "/line/webhook"
WEBHOOK_TOKEN_BYTES = 24
SIGNATURE_HEADER = "X-Line-Signature"

# Messaging limits (LINE Messaging API reference).
MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_UTF16_UNITS = 5000
MAX_CONTENT_BYTES = 200 * 1024 * 1024

# Bot info `chatMode`: "chat" = Chat is on in LINE Official Account Manager, "bot" = off.
CHAT_MODE_CHAT = "chat"
CHAT_MODE_BOT = "bot"

# LINE answers 429 both for rate limits and for a spent monthly quota; the text tells them apart.
QUOTA_EXCEEDED_TEXT = "monthly limit"

CHANNEL_SCOPES = [
    ("company", "One company"),
    ("shared", "All companies"),
]

CHECK_STATES = [
    ("unchecked", "Not checked"),
    ("ok", "Ready"),
    ("warning", "Needs attention"),
    ("error", "Not working"),
]

# LINE's webhook bodies are small (a batch of events, never media): refuse anything larger.
WEBHOOK_MAX_BYTES = 1024 * 1024
