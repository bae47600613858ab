"""Settings: built-in defaults < TOML file < environment < overrides, typed and frozen.

The file is ``$BAOBEI_CONFIG``, else ``./config.toml``, else none (defaults only). Every key
``section.key`` can be set from the environment as ``BAOBEI_SECTION__KEY`` (two
underscores between section and key), so containers need no file. A value of the wrong
type, an unknown key and a 0 where 0 cannot mean "off" stop start-up with a ``ConfigError``
that names the key, because a service that starts with a wrong limit silently is worse
than one that refuses to start.

"0 = off" is decided here, once per key: a limit or timeout that may be off has a derived
property that is ``None`` when off (``settings.wechat.api_timeout``), and callers use that
property, never ``x or default``. A key where 0 means nothing sensible (an interval, a
pool, a time-to-live) refuses 0 at load time.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
)
from pydantic import field_validator as field_check
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from models.policy import Policy, PolicyError

ENV_PREFIX = "BAOBEI_"
SECTION = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A setting is unknown, of the wrong type or out of range; the message names the key."""


def _not_a_bool(value: Any) -> Any:
    """pydantic reads ``true`` as 1 for a number; a limit written as a flag is a mistake."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true/false")
    return value


# 0 allowed where it means "off" (see the section's properties), refused elsewhere.
OffOrCount = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=0)]
Count = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=1)]
OffOrSeconds = Annotated[float, BeforeValidator(_not_a_bool), Field(ge=0)]
Seconds = Annotated[float, BeforeValidator(_not_a_bool), Field(gt=0)]


def _off_when_zero(value: float) -> float | None:
    return value or None


class AppSettings(BaseModel):
    model_config = SECTION

    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    rate_limit_per_minute: OffOrCount = 30
    dedup_ttl_seconds: Count = 3600
    claim_ttl_seconds: Count = 5  # a worker that died is taken over after this; never off
    retry_wait_seconds: OffOrSeconds = 4.0  # 0: a retry does not wait for the first reply

    @field_check("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    @field_check("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError("unknown log level")
        return value.upper()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rate_limit(self) -> int | None:
        """Messages per sender per minute; None = no limit."""
        return self.rate_limit_per_minute or None


class WeChatSettings(BaseModel):
    model_config = SECTION

    token: Annotated[str, Field(min_length=1)] = "baobei-dev-token"
    app_id: str = "wx0000000000000000"
    app_secret: str = "dev-secret"
    encoding_aes_key: str = ""
    api_base_url: str = "https://api.weixin.qq.com"
    api_timeout_seconds: OffOrSeconds = 5.0
    timestamp_tolerance_seconds: OffOrCount = 300
    max_body_bytes: OffOrCount = 65536
    accept_plaintext: bool = False  # with a key: plaintext POSTs too (switch-over only)

    @field_check("encoding_aes_key")
    @classmethod
    def _aes_key_length(cls, value: str) -> str:
        if value and len(value) != 43:
            raise ValueError("must be 43 characters (or empty for plain mode)")
        return value

    @property
    def api_timeout(self) -> float | None:
        """Outbound API calls; None = no timeout (urllib3 refuses a timeout of 0)."""
        return _off_when_zero(self.api_timeout_seconds)

    @property
    def timestamp_tolerance(self) -> int | None:
        """How far a signed timestamp may lie from now; None = not checked."""
        return self.timestamp_tolerance_seconds or None

    @property
    def plaintext_allowed(self) -> bool:
        """Plain bodies are processed without a key, or with one only while switching over:
        the URL signature does not cover the body, so in safe mode only the AES layer
        proves that WeChat wrote it."""
        return not self.encoding_aes_key or self.accept_plaintext

    @property
    def max_body(self) -> int | None:
        """Larger request bodies get 413; None = no limit."""
        return self.max_body_bytes or None


class DatabaseSettings(BaseModel):
    model_config = SECTION

    url: str = "sqlite:///baobei.db"
    pool_size: Count = 10  # SQLAlchemy reads a pool of 0 as "unlimited": refused
    statement_timeout_ms: OffOrCount = 3000

    @property
    def statement_timeout(self) -> int | None:
        """PostgreSQL statement_timeout in milliseconds; None = none."""
        return self.statement_timeout_ms or None


class RedisSettings(BaseModel):
    model_config = SECTION

    url: str = ""
    prefix: str = "baobei"
    socket_timeout_seconds: OffOrSeconds = 0.5

    @property
    def socket_timeout(self) -> float | None:
        """A Redis slower than this counts as down; None = wait for ever."""
        return _off_when_zero(self.socket_timeout_seconds)


class SchedulerSettings(BaseModel):
    model_config = SECTION

    enabled: bool = True
    audit_seal_seconds: Count = 60  # an interval of 0 s is not "off": refused
    audit_settle_seconds: OffOrCount = 10  # 0: seal entries as soon as they are written
    leader_poll_seconds: Seconds = 5.0
    # R4/R8 reminders and notices of the clock go out from this local hour (0-23): people
    # are not woken at midnight; pushes answering someone's act go at once.
    morning_hour: Annotated[int, BeforeValidator(_not_a_bool), Field(ge=0, le=23)] = 9
    # an end notice (lapsed, expired) more than this many days late is not sent any more
    # (the decision is still logged); 0 = only on its own day
    catch_up_days: OffOrCount = 3


class StaffSettings(BaseModel):
    """The case site's commands (issue 17)."""

    model_config = SECTION

    # a late arrival registration (a typed time) may go back at most this many hours
    # before the message; 0 = no limit (the time may still not lie in the future)
    late_registration_hours: OffOrCount = 24


class AccountsSettings(BaseModel):
    """Invite codes (issue 19): how long a code handed out binds."""

    model_config = SECTION

    # an invite code (agent's or staff's) binds for this many days after it is made;
    # 0 = never expires. Fixed on the code when made (``models.policy.roster``).
    invite_expiry_days: OffOrCount = 7


# Keyword names WeChat no longer shows since May 2023: a template may not rely on them.
RETIRED_TEMPLATE_KEYWORDS = frozenset({"first", "remark"})


class TemplateSettings(BaseModel):
    """One push kind's template: its id in the account and which keyword takes which field.

    ``keywords`` maps the push's own field names (``client``, ``ends_on``...) to the
    template's keyword names (``thing1``, ``time2``...), as the template library lists them.
    """

    model_config = SECTION

    template_id: Annotated[str, Field(min_length=1)]
    keywords: dict[str, Annotated[str, Field(min_length=1)]]

    @field_check("keywords")
    @classmethod
    def _no_retired_keywords(cls, value: dict[str, str]) -> dict[str, str]:
        retired = RETIRED_TEMPLATE_KEYWORDS & set(value.values())
        if retired:
            raise ValueError(f"{sorted(retired)} are no longer shown by WeChat (May 2023)")
        return value


class PushSettings(BaseModel):
    """The push sender's limits; the sender runs in the scheduler process only."""

    model_config = SECTION

    sends_per_second: OffOrSeconds = 20.0
    max_attempts: OffOrCount = 8
    backoff_base_seconds: Seconds = 30.0
    backoff_max_seconds: OffOrSeconds = 3600.0
    lease_seconds: Seconds = 120.0
    batch_size: Count = 50
    poll_seconds: Count = 10
    templates: dict[str, TemplateSettings] = {}

    @property
    def rate(self) -> float | None:
        """Sends per second across the account; None = as fast as WeChat answers."""
        return _off_when_zero(self.sends_per_second)

    @property
    def attempts_limit(self) -> int | None:
        """Tries of a push that WeChat keeps answering busy; None = until it is delivered."""
        return self.max_attempts or None

    @property
    def backoff_cap(self) -> float | None:
        """The longest wait between two tries; None = the doubling is never capped."""
        return _off_when_zero(self.backoff_max_seconds)


class MenuSettings(BaseModel):
    """The Official Account's menus (``flask --app bot menu push``) and the staff tag.

    ``file`` is the operator's menu definition (TOML; a relative path is looked up in the
    working directory, then in the repository); ``staff_tag`` is the WeChat user tag the
    staff's personalised menu matches: staff get it when they bind.
    """

    model_config = SECTION

    file: Annotated[str, Field(min_length=1)] = "menu.example.toml"
    staff_tag: Annotated[str, Field(min_length=1, max_length=30)] = "案场人员"


class EvidenceSettings(BaseModel):
    """Staff photos of the signed 来访客户确认单, attached to their arrivals (issue 17)."""

    model_config = SECTION

    photo_window_minutes: OffOrCount = 10
    media_keep_hours: Count = 72
    fetch_backoff_seconds: Seconds = 60.0
    fetch_backoff_max_seconds: OffOrSeconds = 3600.0

    @property
    def window(self) -> timedelta | None:
        """How far before or after registering an arrival a photo is attached to it;
        None = off (staff photos get the text-only reply, nothing is recorded)."""
        return timedelta(minutes=self.photo_window_minutes) if self.photo_window_minutes else None

    @property
    def keep(self) -> timedelta:
        """How long WeChat keeps a user's media: a fetch failing past it is given up."""
        return timedelta(hours=self.media_keep_hours)

    @property
    def backoff_base(self) -> timedelta:
        return timedelta(seconds=self.fetch_backoff_seconds)

    @property
    def backoff_cap(self) -> timedelta | None:
        """The longest wait between two fetches; None = the doubling is never capped."""
        cap = _off_when_zero(self.fetch_backoff_max_seconds)
        return timedelta(seconds=cap) if cap is not None else None


class ReportSettings(BaseModel):
    """The operator's reports (``flask --app bot report``) and the funnel chart (issue 19).

    ``font_path`` is a TTF/OTF/TTC file with Chinese glyphs for the chart's labels; empty:
    the first Chinese font fontconfig knows (``fc-list :lang=zh``), else the chart is drawn
    with its labels in English and the distributors numbered (``models.reports.chart``).
    A path set but missing stops the start-up: a chart silently without its names is worse.
    """

    model_config = SECTION

    font_path: str = ""
    chart_max_distributors: Count = 12  # bars in the chart; the rest are summed in one
    stats_chart: bool = True  # a manager's 统计 also gets the week's funnel as an image

    @field_check("font_path")
    @classmethod
    def _font_exists(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError("no such font file")
        return value


def _policy(values: Any) -> Policy:
    """The ``[policy]`` section is checked by the rule book's own ``Policy``, key by key."""
    if isinstance(values, Policy):
        return values
    if not isinstance(values, Mapping):
        raise ValueError("must be a table")
    for key, value in values.items():
        try:
            Policy.from_mapping({key: value})
        except PolicyError as error:
            raise PydanticCustomError("policy", "{why}", {"key": key, "why": str(error)}) from None
    return Policy.from_mapping(dict(values))


class Settings(BaseSettings):
    """The whole configuration; build it with ``load_settings``, never by hand in code."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    app: AppSettings = AppSettings()
    wechat: WeChatSettings = WeChatSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    pushes: PushSettings = PushSettings()
    staff: StaffSettings = StaffSettings()
    accounts: AccountsSettings = AccountsSettings()
    menu: MenuSettings = MenuSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    reports: ReportSettings = ReportSettings()
    policy: Annotated[Policy, PlainValidator(_policy), PlainSerializer(Policy.as_dict)] = Policy()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """``Settings(...)`` alone reads nothing: the layers are ``load_settings``'s job."""
        return (init_settings,)


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (tests pass their own)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        unknown = sorted(
            name
            for name in self._environ
            if name.upper().startswith(ENV_PREFIX)
            and "__" in name
            and name[len(ENV_PREFIX) :].partition("__")[0].lower() not in Settings.model_fields
        )
        if unknown:
            raise ConfigError(f"environment: unknown section in {unknown[0]}")
        return parse_env_vars(self._environ, False, self.env_ignore_empty, self.env_parse_none_str)


def config_path(environ: Mapping[str, str] | None = None) -> Path | None:
    named = (os.environ if environ is None else environ).get("BAOBEI_CONFIG")
    if named:
        return Path(named)
    local = Path("config.toml")
    return local if local.exists() else None


def _file_source(path: Path | None) -> InitSettingsSource:
    if path is None:
        return InitSettingsSource(Settings, init_kwargs={})
    if not path.is_file():
        raise ConfigError(f"BAOBEI_CONFIG points to a missing file: {path}")
    try:
        return TomlConfigSettingsSource(Settings, toml_file=path)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file, then the environment, then ``overrides`` (tests)."""
    environ = os.environ if environ is None else environ
    path = config_path(environ)
    layers: dict[str, InitSettingsSource | EnvSettingsSource] = {
        "overrides": InitSettingsSource(Settings, init_kwargs=dict(overrides or {})),
        "environment": _Environment(environ),
        str(path or "file"): _file_source(path),
    }
    try:
        # BaseSettings' init argument for sources built by the caller (mypy sees only fields)
        return Settings(_build_sources=(tuple(layers.values()), {}))  # type: ignore[call-arg]
    except ValidationError as error:
        raise ConfigError(_describe(error, layers)) from None


def _describe(error: ValidationError, layers: Mapping[str, Any]) -> str:
    """The first problem as ``section.key: why (where it was set)``."""
    problem = error.errors()[0]
    loc = tuple(str(part) for part in problem["loc"])
    kind, got = problem["type"], problem.get("input")
    if kind == "policy":
        loc, why = (*loc, str(problem["ctx"]["key"])), str(problem["ctx"]["why"])
    elif kind == "extra_forbidden":
        why = "unknown section" if len(loc) == 1 else "unknown key"
    elif kind in ("greater_than", "greater_than_equal") and _is_zero(got):
        why = "must be more than 0 (0 cannot mean off for this key)"
    elif kind == "greater_than_equal" and problem["ctx"]["ge"] == 0:
        why = f"must not be negative (0 = off), got {got!r}"
    else:
        why = f"{problem['msg'].removeprefix('Value error, ')}, got {got!r}"
    return f"{'.'.join(loc)}: {why} (from {_origin(loc, layers)})"


def _is_zero(value: Any) -> bool:
    try:
        return float(value) == 0
    except (TypeError, ValueError):
        return False


def _origin(loc: Sequence[str], layers: Mapping[str, Any]) -> str:
    """The highest layer that set the value: where the operator has to fix it."""
    for name, source in layers.items():
        values: Any = source()
        for part in loc:
            values = values.get(part) if isinstance(values, Mapping) else None
        if values is not None:
            return name
    return "defaults"
