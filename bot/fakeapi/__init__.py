"""A local fake of the WeChat API, served over real HTTP on 127.0.0.1.

Tests, benchmarks and the simulator talk to it exactly as the service talks to
``api.weixin.qq.com``: same paths, same JSON shapes, same error codes. It keeps what was
sent so a newcomer (or a test) can see every push, and it can be told to fail the next
calls to a path, so retry and token-refresh paths are exercised without mocks.

- ``state``: what the fake remembers (tokens, pushes, menus, tags) and injected failures;
- ``api``: the ``/cgi-bin/`` paths the service calls;
- ``control``: the ``/_fake/`` endpoints other processes steer and read it through;
- ``server``: the app on a loopback socket (``FakeWeChatServer``) and ``main``.

Run alone: ``python -m bot.fakeapi --port 18080`` (the base URL is the last stdout line).
"""

from bot.fakeapi.api import FAKE_JPEG, TOKEN_TTL_SECONDS
from bot.fakeapi.server import FakeWeChatServer, create_fake_app, main
from bot.fakeapi.state import FakeState

__all__ = [
    "FAKE_JPEG",
    "TOKEN_TTL_SECONDS",
    "FakeState",
    "FakeWeChatServer",
    "create_fake_app",
    "main",
]
