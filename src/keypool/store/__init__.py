"""Every SQL statement of the app, parameterized, one module per table group.

`Store(db)` bundles them so handlers take one object. Bulk statements bind a
whole id or key list as one JSON text parameter and expand it with
`json_each`, which keeps them within D1's 100-parameter and 50-query limits.
"""

from __future__ import annotations

from ..ports import Database
from .audit import AuditStore
from .backup import BackupStore
from .client_keys import ClientKeyStore
from .config import ConfigStore
from .jobs import JobStore
from .keys import KeyFilter, KeyStore
from .logs import LogStore
from .secrets import SecretStore
from .stats import StatsStore
from .usage import UsageStore


class Store:
    def __init__(self, db: Database):
        self.db = db
        self.config = ConfigStore(db)
        self.keys = KeyStore(db)
        self.client_keys = ClientKeyStore(db)
        self.logs = LogStore(db)
        self.jobs = JobStore(db)
        self.stats = StatsStore(db)
        self.audit = AuditStore(db)
        self.usage = UsageStore(db)
        self.secrets = SecretStore(db)
        self.backup = BackupStore(db)


__all__ = ["Store", "KeyFilter"]
