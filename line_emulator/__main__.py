"""``python -m line_emulator --host 127.0.0.1 --port 8090 --channel-id ... --channel-secret ...``"""

import argparse
import logging
import signal
import threading

from .testing import EmulatorServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m line_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0: a free port (the URL is printed)")
    parser.add_argument("--channel-id", help="create this channel at start")
    parser.add_argument("--channel-secret", help="generated (and printed) when not given")
    parser.add_argument("--provider-id", default="provider-1")
    parser.add_argument("--bot-name", default="LINE Official Account", help="the channel's display name")
    parser.add_argument("--webhook-url", help="the channel's webhook endpoint")
    parser.add_argument("--chat-mode", choices=("chat", "bot"), default="bot")
    parser.add_argument("--https-media-only", action="store_true",
                        help="refuse http:// image/video/audio URLs in messages, as LINE does "
                             "(by default the emulator accepts them, for a local Odoo on http://)")
    parser.add_argument("--strict-openapi", action="store_true",
                        help="check every LINE API call against LINE's OpenAPI files (shared/line-openapi beside "
                             "the repository, or $LINE_OPENAPI_DIR) and log what breaks them")
    parser.add_argument("--keep", type=int, default=None, metavar="N",
                        help="entries kept per log (sent, deliveries, calls), default 10000")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = EmulatorServer(args.host, args.port, quiet=False, limits={"logs": args.keep} if args.keep else None,
                            strict_openapi=args.strict_openapi or None)
    if args.channel_id or args.channel_secret:
        channel = server.state.create_channel(
            channel_id=args.channel_id, channel_secret=args.channel_secret, provider_id=args.provider_id,
            display_name=args.bot_name, webhook_url=args.webhook_url, chat_mode=args.chat_mode,
            allow_http_media=not args.https_media_only)
        print(f"Channel {channel.channel_id} ({channel.display_name}), bot user {channel.bot_user_id}, "
              f"webhook {channel.webhook_url or '(none)'}", flush=True)
        if not args.channel_secret:
            print(f"Channel secret (generated): {channel.channel_secret}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    server.start()
    # Printed once a stop signal is handled: whoever waits for this line may stop the emulator at once.
    print(f"LINE platform emulator on {server.base_url}  (phone page: {server.base_url}/)", flush=True)
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
