"""Baseline WSGI apps the webhook is compared with, all speaking WeChat's safe (AES) mode.

They share one set of account credentials with the load generator (``credentials``), read
from the environment so the orchestrator and gunicorn workers agree without a config file.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

DEFAULT_TOKEN = "bench-token"
DEFAULT_APP_ID = "wx5e1f00bench0001"
# 43 characters, as WeChat's EncodingAESKey: base64 of 32 bytes without the trailing "=".
DEFAULT_AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")


@dataclass(frozen=True)
class Credentials:
    """What WeChat and the server share: the URL token, the app id and the AES key."""

    token: str
    app_id: str
    aes_key: str

    def as_env(self) -> dict[str, str]:
        """The environment that makes every bench app (and ``bot``) use these credentials."""
        return {
            "BENCH_TOKEN": self.token,
            "BENCH_APP_ID": self.app_id,
            "BENCH_AES_KEY": self.aes_key,
            "BAOBEI_WECHAT__TOKEN": self.token,
            "BAOBEI_WECHAT__APP_ID": self.app_id,
            "BAOBEI_WECHAT__ENCODING_AES_KEY": self.aes_key,
        }


def credentials() -> Credentials:
    return Credentials(
        token=os.environ.get("BENCH_TOKEN", DEFAULT_TOKEN),
        app_id=os.environ.get("BENCH_APP_ID", DEFAULT_APP_ID),
        aes_key=os.environ.get("BENCH_AES_KEY", DEFAULT_AES_KEY),
    )
