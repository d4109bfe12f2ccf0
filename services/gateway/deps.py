"""Dependencies the routes ask for, as typed aliases."""
from __future__ import annotations

import hmac
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.auth_throttle import count_failure, refuse_if_throttled
from services.gateway.settings import GatewaySettings
from shared.read_model import ReadModel
from shared.topics import Topics

_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def get_producer(request: Request) -> AIOKafkaProducer:
    return request.app.state.producer


def get_read_model(request: Request) -> ReadModel:
    return request.app.state.read_model


def get_topics(request: Request) -> Topics:
    return request.app.state.topics


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
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing 'Authorization: Bearer <key>' header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    for key, provider in settings.providers_by_key().items():
        if hmac.compare_digest(key.encode(), credentials.credentials.encode()):
            return provider
    await count_failure(request)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "Bearer"})


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ProducerDep = Annotated[AIOKafkaProducer, Depends(get_producer)]
ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
TopicsDep = Annotated[Topics, Depends(get_topics)]
ProviderDep = Annotated[str, Depends(get_provider)]
