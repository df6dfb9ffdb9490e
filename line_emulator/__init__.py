"""A local LINE platform: LINE's Messaging API, signed webhooks and a phone page to play customers."""
