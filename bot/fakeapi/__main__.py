"""``python -m bot.fakeapi``: serve the fake WeChat API until SIGTERM or Ctrl-C."""

from bot.fakeapi.server import main

if __name__ == "__main__":
    raise SystemExit(main())
