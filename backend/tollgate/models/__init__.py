"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from .alert import AlertEvent as AlertEvent
from .alert import AlertRule as AlertRule
from .alert import WebhookDelivery as WebhookDelivery
from .alert import WebhookSubscription as WebhookSubscription
from .audit import AuditEvent as AuditEvent
from .billing import BillingPlan as BillingPlan
from .billing import Invoice as Invoice
from .budget import Budget as Budget
from .budget import BudgetHold as BudgetHold
from .budget import BudgetSpend as BudgetSpend
from .budget import RateBucket as RateBucket
from .budget import RateLimit as RateLimit
from .client import Client as Client
from .client import Project as Project
from .idempotency import IdempotencyKey as IdempotencyKey
from .lane import Lane as Lane
from .lane import RouteEntry as RouteEntry
from .price_override import PriceOverride as PriceOverride
from .report import MonthlyClose as MonthlyClose
from .report import Report as Report
from .request_log import RequestLog as RequestLog
from .sub_key import SubKey as SubKey
from .usage_event import UsageEvent as UsageEvent
from .workspace import AdminToken as AdminToken
from .workspace import Workspace as Workspace
