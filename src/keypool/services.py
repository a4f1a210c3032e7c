"""What handlers are given: the settings and the runtime's ports, wired once per app."""

from __future__ import annotations

from dataclasses import dataclass, field

from .audit import AuditTrail
from .ports import Assets, Clock, KeyDerivation, Resolver, Upstream
from .settings import Settings
from .store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    upstream: Upstream
    assets: Assets
    clock: Clock
    kdf: KeyDerivation
    resolver: Resolver
    audit: AuditTrail = field(init=False)

    def __post_init__(self) -> None:
        self.audit = AuditTrail(self.store, self.clock)
