"""The household timeline: what happened to a household, from every app.

Apps register a provider ``provider(household, user) -> list[TimelineEvent]`` (in their
``AppConfig.ready``); the household page merges and sorts them. Each provider runs a
fixed number of queries for the whole household, never one per member.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

_providers: list[Callable] = []


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.date | datetime.datetime
    kind: str  # a short translated label: 签约, 随访, 筛查, 转诊, 结算 ...
    title: str
    detail: str = ""
    url: str = ""
    member_name: str = ""


def register(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def events_for(household, user) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for provider in _providers:
        events.extend(provider(household, user))

    def key(event: TimelineEvent):
        at = event.at
        if isinstance(at, datetime.datetime):
            return (at.date(), at.time())
        return (at, datetime.time.min)

    return sorted(events, key=key, reverse=True)
