"""Dependencies the routes ask for, as typed aliases, and who the caller is.

Three kinds of caller (see README, "Trust model"):
- a provider, by its write key (``WIRE_API_KEYS``): submits articles;
- a subscriber, by its subscription's read token: reads what its filter matches;
- the operator, by the admin key (``WIRE_ADMIN_KEY``): reads and manages everything.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.auth_throttle import count_failure, refuse_if_throttled
from services.gateway.read_limit import charge_read
from services.gateway.settings import GatewaySettings
from shared.credentials import digest, key_matches
from shared.read_model import ReadModel
from shared.subscriptions import Subscription, SubscriptionStore
from shared.topics import Topics

_bearer = HTTPBearer(auto_error=False)
# ``?token=`` is a credential too: declared as a security scheme (not a plain query
# parameter) so the document, and clients reading it, know it authenticates.
_token_in_query = APIKeyQuery(name="token", auto_error=False,
                              description="read token, for clients that cannot send headers (feed readers)")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def get_producer(request: Request) -> AIOKafkaProducer:
    return request.app.state.producer


async def get_read_model(request: Request) -> ReadModel:
    return request.app.state.read_model


async def get_topics(request: Request) -> Topics:
    return request.app.state.topics


async def get_store(request: Request) -> SubscriptionStore:
    """The subscriptions, on the app's Redis pool: every route reads them through here."""
    return SubscriptionStore(request.app.state.redis, request.app.state.keys.prefix)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, {"error": "unauthorized", "detail": detail},
                         headers=_CHALLENGE)


def provider_for(settings: GatewaySettings, key: str) -> str | None:
    """The provider whose write key ``key`` is (every configured key is compared)."""
    found = None
    for configured, provider in settings.providers_by_key().items():
        if key_matches(key, configured):
            found = provider
    return found


async def get_provider(
    request: Request,
    settings: Annotated[GatewaySettings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The provider whose API key authorised the request (401 without a valid key;
    429 for an address that failed too often, see auth_throttle)."""
    await refuse_if_throttled(request)
    if credentials is None:
        await count_failure(request)
        raise _unauthorized("missing 'Authorization: Bearer <key>' header")
    provider = provider_for(settings, credentials.credentials)
    if provider is None:
        await count_failure(request)
        raise _unauthorized("unknown API key")
    return provider


def is_admin(settings: GatewaySettings, credentials: HTTPAuthorizationCredentials | None) -> bool:
    return credentials is not None and key_matches(credentials.credentials, settings.admin_key or "")


async def require_admin(request: Request, settings: Annotated[GatewaySettings, Depends(get_settings)],
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """401 unless the request carries ``Authorization: Bearer <WIRE_ADMIN_KEY>``; a wrong
    key counts as a failed authentication of the address (429 past the limit)."""
    if credentials is not None:
        await refuse_if_throttled(request)
    if not is_admin(settings, credentials):
        if credentials is not None:
            await count_failure(request)
        raise _unauthorized("this needs the admin key (Authorization: Bearer …)")


@dataclass(frozen=True)
class Reader:
    """Who reads: the operator (everything) or one subscription (its filter's slice)."""

    subscription: Subscription | None = None
    token_sha256: str | None = None  # the read token it came with (a subscription's reader)

    @property
    def admin(self) -> bool:
        return self.subscription is None

    def may_read(self, item: dict[str, Any] | None, provider: str | None) -> bool:
        """Whether this reader is entitled to ``item`` (published by ``provider``)."""
        if self.subscription is None:
            return True
        return item is not None and self.subscription.filter.matches(item, provider)

    def saw_killed(self, meta: dict[str, Any]) -> bool:
        """Whether this reader may learn that a story was killed: the operator, or a
        subscription that had the story before its kill (others, one created since under
        the name of one that had it among them, get a plain 404)."""
        return self.subscription is None or self.subscription.notified_of(meta)

    def may_follow(self, name: str) -> bool:
        """Whether this reader may read subscription ``name``'s feeds and stream."""
        return self.subscription is None or self.subscription.name == name


async def get_reader(
    request: Request,
    settings: Annotated[GatewaySettings, Depends(get_settings)],
    store: Annotated[SubscriptionStore, Depends(get_store)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: Annotated[str | None, Depends(_token_in_query)] = None,
) -> Reader:
    """The reader behind ``Authorization: Bearer <token>`` (or ``?token=``): the admin
    key or a subscription's read token. 401 without one, or for a revoked token;
    403 for a provider's write key (it cannot read); 429 past the subscription's
    read rate limit (read_limit.py). A wrong or revoked credential
    counts as a failed authentication of the address (429 past the limit)."""
    given = credentials.credentials if credentials is not None else token
    if not given:
        raise _unauthorized("reading needs a subscription's read token or the admin key "
                            "(Authorization: Bearer …, or ?token=)")
    await refuse_if_throttled(request)
    if key_matches(given, settings.admin_key or ""):
        return Reader()
    subscription = await store.by_token_digest(sha256 := digest(given))
    if subscription is not None:
        await charge_read(request, subscription.name)
        return Reader(subscription, sha256)
    if provider_for(settings, given) is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            {"error": "forbidden", "detail": "a provider's write key cannot read; use a "
                                                             "subscription's read token or the admin key"})
    await count_failure(request)
    raise _unauthorized("unknown or revoked token")


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ProducerDep = Annotated[AIOKafkaProducer, Depends(get_producer)]
ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
TopicsDep = Annotated[Topics, Depends(get_topics)]
ProviderDep = Annotated[str, Depends(get_provider)]
ReaderDep = Annotated[Reader, Depends(get_reader)]
StoreDep = Annotated[SubscriptionStore, Depends(get_store)]
AdminOnly = Depends(require_admin)
