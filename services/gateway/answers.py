"""The bodies of the gateway's successful answers, as the OpenAPI document shows them.

The routes build their answers as plain dicts (often straight from Redis); these
models only describe them (``responses={200: {"model": ...}}``), and the contract
test (schemathesis) checks every answer against them.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.problems import Problem
from shared.events import SubmittedItem
from shared.subscriptions import SubscriptionFilter


class NinjsItem(BaseModel):
    """An IPTC ninjs 3.1 item (every item the gateway serves validates against the
    official schema: https://www.iptc.org/std/ninjs/ninjs-schema_3.1.json)."""

    model_config = ConfigDict(extra="allow")
    uri: str


class Submitted(SubmittedItem):
    """One story of a submission (shared.events.SubmittedItem, with its link)."""

    href: str


class SubmittedFeed(BaseModel):
    """A feed's submission: one entry per item in it."""

    items: list[Submitted]


class BulkResult(BaseModel):
    status: int = Field(description="what a single submission of this article would have answered")
    body: Submitted | SubmittedFeed | Problem


class BulkAnswer(BaseModel):
    accepted: int
    failed: int
    results: list[BulkResult] = Field(description="one per submitted article, in order")


class ListedArticle(BaseModel):
    id: str
    uri: str
    version: str
    signal: str = Field(description="new, update, correction")
    published_at: str | None
    href: str
    item: NinjsItem


class ArticlePage(BaseModel):
    items: list[ListedArticle]
    next: str | None = Field(description="`cursor` of the next page; null on the last one")


class LanguageVersion(BaseModel):
    id: str
    uri: str
    language: str | None
    version: str | None
    original: bool
    status: Literal["live", "killed"]
    href: str


class LanguageVersions(BaseModel):
    id: str
    original: str = Field(description="id of the original-language version")
    languages: list[LanguageVersion]
    complete: bool = Field(description="false when the versions' items passed the read budget (8 MiB): those "
                                       "listed are the ones that fit, the original and the one asked about first")


class Enrichment(BaseModel):
    id: str
    uri: str | None
    version: str | None
    enrichment: dict[str, Any]


class TrendingEntity(BaseModel):
    type: str
    name: str
    count: int


class TrendWindow(BaseModel):
    start: str
    end: str
    entities: list[TrendingEntity]


class Trends(BaseModel):
    windows: list[TrendWindow] = Field(description="newest first")


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description="kafka and redis: ok, or why not")


class TokenId(BaseModel):
    id: str
    created_at: str


class SubscriptionView(BaseModel):
    """A subscription as the API shows it (the webhook secret masked, except in the
    answer that created or replaced it) with links to what it serves."""

    name: str
    filter: SubscriptionFilter
    outputs: dict[str, Any]
    created_at: str | None
    updated_at: str | None
    tokens: list[TokenId] = Field(description="the read tokens, by id only")
    token: str | None = Field(None, description="a new read token: only in the answer that created it")
    links: dict[str, str]
    webhook_status: dict[str, Any] | None = Field(
        None, description="queue length (entries and bytes of items) and circuit-breaker state")


class IssuedToken(BaseModel):
    """A new read token (``Authorization: Bearer <token>`` or ``?token=``), shown once."""

    id: str
    token: str
    created_at: str


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionView]


class Deliveries(BaseModel):
    subscription: str
    deliveries: list[dict[str, Any]] = Field(description="newest first")
