"""Writes of the reports app: the chain's report settings (项次 weights, stage targets)."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.org import policy
from yanzhi.org.models import Organization, Staff
from yanzhi.reports.models import DEFAULT_TARGETS, DEFAULT_WEIGHTS, ReportSettings

FIELDS = [*DEFAULT_WEIGHTS, *DEFAULT_TARGETS]
MAX_WEIGHT = Decimal("100")
MAX_MINUTES = 1440


def _invalid(field: str, message) -> BusinessError:
    return BusinessError("invalid_setting", message, fields={field: [message]}, status=422)


def _weight(field: str, value) -> Decimal:
    try:
        weight = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise _invalid(field, _("请输入0到100之间的数字")) from None
    if not weight.is_finite() or not Decimal(0) <= weight <= MAX_WEIGHT:
        raise _invalid(field, _("请输入0到100之间的数字"))
    return weight


def _minutes(field: str, value) -> int:
    try:
        minutes = int(str(value))
    except (TypeError, ValueError):
        raise _invalid(field, _("请输入1到1440之间的整数分钟")) from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise _invalid(field, _("请输入1到1440之间的整数分钟"))
    return minutes


@transaction.atomic
def update_report_settings(org: Organization, *, by: Staff, **changes) -> ReportSettings:
    """HQ sets the chain's 项次 weights (0–100) and stage target durations (1–1440 minutes)."""
    scope = policy.scope_for(by)
    policy.require(scope, "report.configure")
    if org.pk != scope.org_id:
        raise NotFound()
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise BusinessError("invalid_field", f"unknown field {sorted(unknown)[0]}", status=422)
    clean = {}
    for field, value in changes.items():
        clean[field] = _weight(field, value) if field in DEFAULT_WEIGHTS else _minutes(field, value)
    settings, _created = ReportSettings.objects.select_for_update().get_or_create(
        org=org, defaults={**DEFAULT_WEIGHTS, **DEFAULT_TARGETS}
    )
    before = audit.snapshot(settings, FIELDS)
    for field, value in clean.items():
        setattr(settings, field, value)
    settings.updated_by = by
    settings.save()
    old, new = audit.changed(before, audit.snapshot(settings, FIELDS))
    if new:
        audit.record(by, "report_settings.changed", settings, before=old, after=new)
    return settings
