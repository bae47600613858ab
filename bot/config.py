"""Settings: built-in defaults < TOML file < environment < overrides, validated at start.

The file is ``$BAOBEI_CONFIG``, else ``./config.toml``, else none (defaults only). Every key
``section.key`` can be set from the environment as ``BAOBEI_SECTION__KEY`` (two
underscores between section and key), so containers need no file. Values are checked
against the type of their default, and an error names the bad key, because a service that
starts with a wrong limit silently is worse than one that refuses to start.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.policy import Policy, PolicyError, parse_flag

ENV_PREFIX = "BAOBEI_"

DEFAULTS: dict[str, dict[str, Any]] = {
    "app": {
        "timezone": "Asia/Shanghai",
        "log_level": "INFO",
        "rate_limit_per_minute": 30,
        "dedup_ttl_seconds": 3600,
        "claim_ttl_seconds": 5,
        "retry_wait_seconds": 4.0,
    },
    "wechat": {
        "token": "baobei-dev-token",
        "app_id": "wx0000000000000000",
        "app_secret": "dev-secret",
        "encoding_aes_key": "",
        "api_base_url": "https://api.weixin.qq.com",
        "api_timeout_seconds": 5.0,
        "timestamp_tolerance_seconds": 300,
        "max_body_bytes": 65536,
    },
    "database": {
        "url": "sqlite:///baobei.db",
        "pool_size": 10,
        "statement_timeout_ms": 3000,
    },
    "redis": {
        "url": "",
        "prefix": "baobei",
        "socket_timeout_seconds": 0.5,
    },
    "scheduler": {
        "enabled": True,
        "audit_seal_seconds": 60,
        "audit_settle_seconds": 10,
        "leader_poll_seconds": 5.0,
    },
    "policy": Policy().as_dict(),
}


class ConfigError(ValueError):
    """A setting is missing, unknown or of the wrong type; the message names the key."""


def _merge(base: dict[str, Any], extra: dict[str, Any], origin: str) -> None:
    for section, values in extra.items():
        if section not in base:
            raise ConfigError(f"{origin}: unknown section [{section}]")
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: [{section}] must be a table")
        for key, value in values.items():
            if key not in base[section]:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            base[section][key] = value


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    found: dict[str, dict[str, Any]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name or name == "BAOBEI_CONFIG":
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        found.setdefault(section, {})[key] = value
    return found


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Environment values are strings; bring every value to its default's type."""
    try:
        if isinstance(default, bool):
            flag = parse_flag(value)
            if flag is None:
                raise ValueError(value)
            return flag
        if isinstance(default, int):
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key} must be of type {type(default).__name__}, got {value!r}"
        ) from None
    return value


def _validate(settings: dict[str, Any]) -> None:
    for section, values in settings.items():
        for key, value in values.items():
            values[key] = _coerce(f"{section}.{key}", value, DEFAULTS[section][key])
            if isinstance(values[key], int | float) and not isinstance(values[key], bool):
                if values[key] < 0:
                    raise ConfigError(f"{section}.{key} must not be negative (0 = off)")
    try:
        ZoneInfo(settings["app"]["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        zone = settings["app"]["timezone"]
        raise ConfigError(f"app.timezone: unknown time zone {zone!r}") from None
    if settings["app"]["claim_ttl_seconds"] < 1:
        raise ConfigError("app.claim_ttl_seconds must be at least 1 (it cannot be off)")
    aes = settings["wechat"]["encoding_aes_key"]
    if aes and len(aes) != 43:
        raise ConfigError("wechat.encoding_aes_key must be 43 characters (or empty for plain mode)")
    if not settings["wechat"]["token"]:
        raise ConfigError("wechat.token must not be empty")
    try:
        Policy.from_mapping(settings["policy"])
    except PolicyError as error:
        raise ConfigError(f"policy: {error}") from None


def config_path(environ: dict[str, str] | None = None) -> Path | None:
    named = (os.environ if environ is None else environ).get("BAOBEI_CONFIG")
    if named:
        return Path(named)
    local = Path("config.toml")
    return local if local.exists() else None


def load_settings(
    overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then the TOML file, then the environment, then ``overrides`` (tests)."""
    environ = dict(os.environ if environ is None else environ)
    settings = copy.deepcopy(DEFAULTS)
    path = config_path(environ)
    if path is not None:
        try:
            with path.open("rb") as handle:
                _merge(settings, tomllib.load(handle), str(path))
        except FileNotFoundError:
            raise ConfigError(f"BAOBEI_CONFIG points to a missing file: {path}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from None
    _merge(settings, _from_env(environ), "environment")
    _merge(settings, overrides or {}, "overrides")
    _validate(settings)
    return settings
