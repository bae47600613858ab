"""The outbound client: every call the service makes to the WeChat API goes through here.

Two things wechatpy 1.8.18 does not do for us, and why they matter:

* Its token URL is hard-coded to api.weixin.qq.com, so ``ServiceWeChatClient`` points both
  the token and the API at ``wechat.api_base_url`` (the local fake in tests and dev).
* Each token fetch invalidates the previous token. Web workers, the scheduler and CLI
  commands that each refresh on their own knock each other's token out in a loop
  (wechatpy issues #334, #685). Here the token lives in Redis and is refreshed only under
  a Redis lock, and only if the stored token is still the one that was found stale.

Callers get a ``DeliveryError`` that says whether trying again later can help, so the
outbox knows whether to back off or give up. Logs carry paths, errcodes and openids, never
message contents.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import redis as redis_lib
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from models.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Token problems: refresh once (under the lock) and retry once.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Worth another try later: API frequency limit, "system busy".
RETRYABLE_ERRCODES = frozenset({45009, -1})
BUSY = -1  # system busy: try again soon
DAILY_QUOTA = 45009  # the account's daily quota of this API is used up: tomorrow
UNFOLLOWED = 43004  # the user no longer follows the account
OUTSIDE_REPLY_WINDOW = 45015  # a customer-service text more than 48 h after their last message
REPLY_QUOTA_USED = 45047  # too many customer-service texts since their last message
TEMPLATE_VALUE_REFUSED = 47003  # a template value broke its keyword's rule
# Tag name already exists: someone else created it first.
TAG_EXISTS = 45157
# Refresh the token this long before WeChat says it expires, so no call carries a
# token that dies on the way.
TOKEN_EXPIRY_MARGIN_SECONDS = 300
TAGGING_BATCH = 50  # WeChat's limit for tags/members/batchtagging


class DeliveryError(Exception):
    """A WeChat call failed; ``retryable`` tells the outbox whether to try again later."""

    def __init__(self, errcode: int | None, errmsg: str, retryable: bool) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.retryable = retryable


def is_retryable(errcode: int | None) -> bool:
    """None means no WeChat answer at all (HTTP error, timeout): the API may be back soon.

    Token errors that survive our refresh-and-retry mean another party refreshed in
    between; the next attempt finds the new token, so they are retryable too. Everything
    else (43004 not following, 40003 bad openid, 45015 reply window over, ...) will fail
    the same way again.
    """
    return errcode is None or errcode in RETRYABLE_ERRCODES or errcode in TOKEN_ERRCODES


class ServiceWeChatClient(WeChatClient):
    """wechatpy's client aimed at ``api_base_url``, with a timeout on the token fetch too.

    ``token_source``, when given, supplies the access token for every call, so the
    ``WeChatApi``'s locked refresh is the only way a token is ever fetched.
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base_url: str,
        session: SessionStorage | None = None,
        timeout: float | None = None,
        token_source: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.api_base_url = api_base_url.rstrip("/")
        self.API_BASE_URL = f"{self.api_base_url}/cgi-bin/"
        self._token_source = token_source

    @property
    def token_url(self) -> str:
        return f"{self.api_base_url}/cgi-bin/token"

    @property
    def access_token(self) -> str:
        source = getattr(self, "_token_source", None)
        if source is not None:
            return source()
        return super().access_token

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy's fetch, but at our base URL, with a timeout and an expiry margin."""
        response = self._http.get(
            self.token_url,
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        try:
            response.raise_for_status()
        except requests.RequestException as error:
            raise WeChatClientException(
                None, None, client=self, request=error.request, response=error.response
            ) from error
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(
                result["errcode"],
                result.get("errmsg"),
                client=self,
                request=response.request,
                response=response,
            )
        expires_in = int(result.get("expires_in", 7200))
        ttl = max(expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, 1)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = int(time.time()) + ttl
        return result


class WeChatApi:
    """Sends, menus, tags and media over one shared, lock-refreshed access token."""

    def __init__(self, settings: Settings, redis: redis_lib.Redis | None = None) -> None:
        wechat = settings.wechat
        prefix = f"{settings.redis.prefix}:wechat"
        self._redis = redis
        self._session: SessionStorage = (
            RedisStorage(redis, prefix=prefix) if redis is not None else MemoryStorage()
        )
        self._local_lock = threading.Lock()
        self._used = threading.local()  # the token each thread's current call carried
        self._client = ServiceWeChatClient(
            wechat.app_id,
            wechat.app_secret,
            wechat.api_base_url,
            session=self._session,
            timeout=wechat.api_timeout,
            token_source=self._token_for_call,
        )
        self._lock_name = f"{prefix}:{wechat.app_id}_access_token_lock"

    # -- token ------------------------------------------------------------------------
    def access_token(self) -> str:
        """The shared token, fetched (under the lock) only when there is none."""
        token = self._session.get(self._client.access_token_key)
        return token if token else self.refresh_token(stale=None)

    def refresh_token(self, stale: str | None) -> str:
        """Replace ``stale`` with a new token, unless someone already did while we waited."""
        with self._token_lock():
            current = self._session.get(self._client.access_token_key)
            if current and current != stale:
                return str(current)
            logger.info("fetching a new WeChat access token")
            return str(self._call("token", self._client.fetch_access_token)["access_token"])

    @contextlib.contextmanager
    def _token_lock(self) -> Iterator[None]:
        if self._redis is None:
            with self._local_lock:
                yield
            return
        lock = self._redis.lock(self._lock_name, timeout=10, blocking_timeout=5)
        if not lock.acquire():
            raise DeliveryError(None, "timed out waiting for the token lock", retryable=True)
        try:
            yield
        finally:
            with contextlib.suppress(redis_lib.exceptions.LockError):
                lock.release()

    def _token_for_call(self) -> str:
        token = self.access_token()
        self._used.token = token
        return token

    # -- calls --------------------------------------------------------------------------
    def _call(self, path: str, call: Callable[[], T], openid: str | None = None) -> T:
        """Run one API call: refresh-and-retry once on token errors, classify failures."""
        try:
            try:
                return call()
            except WeChatClientException as error:
                if error.errcode not in TOKEN_ERRCODES or path == "token":
                    raise
                logger.info("wechat %s: errcode %s, refreshing the token once", path, error.errcode)
                self.refresh_token(stale=getattr(self._used, "token", None))
                return call()
        except WeChatClientException as error:
            errcode = error.errcode
            if errcode is None:
                status = getattr(error.response, "status_code", None)
                errmsg = f"HTTP {status}"
            else:
                errmsg = str(error.errmsg)
            raise self._failed(path, errcode, errmsg, openid) from error
        except requests.RequestException as error:
            raise self._failed(path, None, type(error).__name__, openid) from error
        except redis_lib.RedisError as error:  # the shared token store is unreachable
            raise self._failed(path, None, f"redis {type(error).__name__}", openid) from error

    @staticmethod
    def _failed(path: str, errcode: int | None, errmsg: str, openid: str | None) -> DeliveryError:
        retryable = is_retryable(errcode)
        logger.warning(
            "wechat %s failed for %s: errcode=%s (%s) retryable=%s",
            path,
            openid or "-",
            errcode,
            errmsg,
            retryable,
        )
        return DeliveryError(errcode, errmsg, retryable)

    def send_text(self, openid: str, text: str) -> None:
        self._call(
            "message/custom/send", lambda: self._client.message.send_text(openid, text), openid
        )

    def send_template(
        self,
        openid: str,
        template_id: str,
        data: dict[str, Any],
        url: str | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """Send a template message; WeChat's msgid (for TEMPLATESENDJOBFINISH) comes back.

        ``client_msg_id``: WeChat sends one message per (openid, client_msg_id) within ten
        minutes, so a send repeated after a crash is dropped by WeChat itself. wechatpy
        1.8.18's ``send_template`` has no such parameter: the body is posted as is.
        """
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        result = self._call(
            "message/template/send",
            lambda: self._client.post("message/template/send", data=body),
            openid,
        )
        return int(_as_dict(result, "message/template/send")["msgid"])

    def create_menu(self, menu: dict[str, Any]) -> None:
        self._call("menu/create", lambda: self._client.menu.create(menu))

    def add_conditional_menu(self, menu: dict[str, Any]) -> str:
        result = self._call("menu/addconditional", lambda: self._client.menu.add_conditional(menu))
        return str(_as_dict(result, "menu/addconditional")["menuid"])

    def conditional_menus(self) -> list[dict[str, Any]]:
        """The personalised menus the account has now, each with its ``menuid`` and
        ``matchrule`` (none when the account has no menu at all: 46003)."""
        result = self._call("menu/get", self._client.menu.get)
        if result is None:
            return []
        return list(_as_dict(result, "menu/get").get("conditionalmenu") or [])

    def delete_conditional_menu(self, menuid: str) -> None:
        """``menu/delconditional``: each ``add_conditional`` adds a menu, never replaces one."""
        self._call("menu/delconditional", lambda: self._client.menu.del_conditional(menuid))

    def ensure_tag(self, name: str) -> int:
        """The id of tag ``name``, creating it if needed; safe to call from several places."""
        found = self._find_tag(name)
        if found is not None:
            return found
        try:
            tag = self._call("tags/create", lambda: self._client.tag.create(name))
            return int(_as_dict(tag, "tags/create")["id"])
        except DeliveryError as error:
            if error.errcode != TAG_EXISTS:
                raise
        found = self._find_tag(name)  # lost a race with another creator
        if found is None:
            raise DeliveryError(TAG_EXISTS, "tag exists but is not listed", retryable=True)
        return found

    def _find_tag(self, name: str) -> int | None:
        for tag in self._call("tags/get", self._client.tag.get):
            if tag.get("name") == name:
                return int(tag["id"])
        return None

    def tag_users(self, tag_id: int, openids: Sequence[str]) -> None:
        openids = list(openids)
        for start in range(0, len(openids), TAGGING_BATCH):
            batch = openids[start : start + TAGGING_BATCH]
            self._call(
                "tags/members/batchtagging", partial(self._client.tag.tag_user, tag_id, batch)
            )

    def untag_users(self, tag_id: int, openids: Sequence[str]) -> None:
        """Take the tag off (a removed staff member loses the staff menu); 50 a call."""
        openids = list(openids)
        for start in range(0, len(openids), TAGGING_BATCH):
            batch = openids[start : start + TAGGING_BATCH]
            self._call(
                "tags/members/batchuntagging",
                partial(self._client.tag.untag_user, tag_id, batch),
            )

    def upload_image(self, data: bytes, filename: str) -> str:
        """Upload a picture as temporary media (kept 3 days by WeChat); its media_id.

        The file object is made inside the call, so the retry after a token refresh sends
        the whole picture again rather than an exhausted stream."""
        result = self._call(
            "media/upload",
            lambda: self._client.media.upload("image", (filename, io.BytesIO(data), "image/png")),
        )
        return str(_as_dict(result, "media/upload")["media_id"])

    def send_image(self, openid: str, media_id: str) -> None:
        """A customer-service image: only within 48 hours of the user's last message."""
        self._call(
            "message/custom/send",
            lambda: self._client.message.send_image(openid, media_id),
            openid,
        )

    def download_media(self, media_id: str) -> bytes:
        result = self._call("media/get", lambda: self._client.media.download(media_id))
        if isinstance(result, requests.Response):
            return result.content
        # A JSON answer without errcode (e.g. a video URL) is not a file we can use.
        raise DeliveryError(None, "media/get answered JSON, not a file", retryable=False)


def shared_api(settings: Settings) -> WeChatApi:
    """A ``WeChatApi`` whose token is shared through Redis when one is configured, so a
    CLI command does not knock the web workers' and the scheduler's token out."""
    if not settings.redis.url:
        return WeChatApi(settings)
    redis = redis_lib.Redis.from_url(
        settings.redis.url,
        socket_timeout=settings.redis.socket_timeout,
        socket_connect_timeout=settings.redis.socket_timeout,
    )
    return WeChatApi(settings, redis)


def _as_dict(result: Any, path: str) -> dict[str, Any]:
    """wechatpy hands back the raw response when the body is not JSON (a proxy page...)."""
    if not isinstance(result, dict):
        raise DeliveryError(None, f"{path}: unexpected non-JSON answer", retryable=True)
    return result
