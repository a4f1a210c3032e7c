"""What handlers are given: the settings and the runtime's ports, wired once per app."""

from __future__ import annotations

from dataclasses import dataclass

from .ports import Assets, Clock, Upstream
from .settings import Settings
from .store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    upstream: Upstream
    assets: Assets
    clock: Clock
