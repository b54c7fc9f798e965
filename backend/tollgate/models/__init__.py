"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from .audit import AuditEvent as AuditEvent
from .client import Client as Client
from .client import Project as Project
from .idempotency import IdempotencyKey as IdempotencyKey
from .lane import Lane as Lane
from .lane import RouteEntry as RouteEntry
from .price_override import PriceOverride as PriceOverride
from .request_log import RequestLog as RequestLog
from .sub_key import SubKey as SubKey
from .usage_event import UsageEvent as UsageEvent
from .workspace import AdminToken as AdminToken
from .workspace import Workspace as Workspace
