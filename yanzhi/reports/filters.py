"""The filters every report shares (docs/reports.md, "Filters"): a period of store-local business
dates, a store, a department and a staff member, parsed once from a query string for both the
pages and the API, and checked against the viewer's scope (an id outside it is a 404).

Granularity follows the role: HQ sees the chain or any store, a store manager their stores, every
other role only their own figures (a consultant group leader: the group's) — `own_ids` forces the
staff dimension of every report that has one."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, store_today, store_zone
from yanzhi.org import policy
from yanzhi.org.models import Department, Staff, Store
from yanzhi.org.queries import get_department, get_staff, stores_for

# The longest period one report covers (a year and a day), so a typo cannot scan a decade.
MAX_DAYS = 366
# Roles that see the figures of everyone in their stores; the others see their own.
ALL_FIGURE_ROLES = frozenset({policy.MANAGER, policy.HQ})
FILTER_FIELDS = ("store", "department", "staff")


def own_ids(scope: Scope) -> tuple[int, ...] | None:
    """Whose figures this viewer may see: None = everyone in the stores."""
    if scope.role in ALL_FIGURE_ROLES:
        return None
    return scope.owner_ids or (scope.staff_id,)


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    stores: tuple[Store, ...]  # the stores reported on: the chosen one, or all the viewer's
    store: Store | None = None
    department: Department | None = None
    staff: Staff | None = None
    own_ids: tuple[int, ...] | None = None
    extra: dict = field(default_factory=dict)  # report-specific parameters (e.g. parent)
    # Set when the report covers the whole chain: the chain's closed stores, left out. The
    # condition is then "not a closed store" (usually none) instead of a list of a hundred
    # stores, which lets PostgreSQL read a month of the chain's rows from one covering index.
    closed_store_ids: tuple[int, ...] | None = None

    @property
    def store_ids(self) -> list[int]:
        return [s.pk for s in self.stores]

    def in_stores(self, field_name: str = "store_id") -> Q:
        """Rows of the reported stores."""
        if self.closed_store_ids is None:
            return Q(**{f"{field_name}__in": self.store_ids})
        if self.closed_store_ids:
            return ~Q(**{f"{field_name}__in": self.closed_store_ids})
        return Q()

    @property
    def staff_ids(self) -> tuple[int, ...] | None:
        """The staff the figures are restricted to (None = everyone)."""
        if self.staff is not None:
            return (self.staff.pk,)
        return self.own_ids

    def days(self, field_name: str) -> Q:
        """A store-local date field inside the period."""
        return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lte": self.end})

    def moments(self, field_name: str, store_field: str = "store_id") -> Q:
        """A timestamp inside the period, each store's day in its own timezone: stores sharing
        a timezone share one condition, so the query does not grow with the number of stores."""
        by_zone: dict[str, list[int]] = {}
        for store in self.stores:
            by_zone.setdefault(str(store_zone(store)), []).append(store.pk)
        condition = Q(pk__in=[])
        for ids in by_zone.values():
            zone = store_zone(next(s for s in self.stores if s.pk == ids[0]))
            start = datetime.combine(self.start, time.min, tzinfo=zone)
            end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
            condition |= Q(
                **{
                    f"{store_field}__in": ids,
                    f"{field_name}__gte": start,
                    f"{field_name}__lt": end,
                }
            )
        return condition

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "store_id": self.store.pk if self.store else None,
            "department_id": self.department.pk if self.department else None,
            "staff_id": self.staff.pk if self.staff else None,
            "own_only": self.own_ids is not None,
            **{k: v for k, v in self.extra.items() if v is not None},
        }

    def notes(self) -> list[str]:
        """The filters in words, written above an exported sheet."""
        lines = [_("期间:%(start)s 至 %(end)s") % {"start": self.start, "end": self.end}]
        lines.append(
            _("门店:%(store)s") % {"store": self.store.name if self.store else _("全部门店")}
        )
        if self.department is not None:
            lines.append(_("科室:%(name)s") % {"name": self.department.name})
        if self.staff is not None:
            lines.append(_("员工:%(name)s") % {"name": self.staff.name})
        elif self.own_ids is not None:
            lines.append(_("范围:本人业绩"))
        return lines

    def querystring(self, **overrides) -> str:
        values = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "store_id": self.store.pk if self.store else "",
            "department_id": self.department.pk if self.department else "",
            "staff_id": self.staff.pk if self.staff else "",
            **{k: v for k, v in self.extra.items() if v is not None},
            **overrides,
        }
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _invalid(field_name: str, message) -> BusinessError:
    return BusinessError("invalid_filter", message, fields={field_name: [message]}, status=422)


def _date(params, name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(name, _("请输入正确的日期(如 2025-03-01)")) from None


def _id(params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    value = str(value).strip()
    if not value.isdigit():
        raise _invalid(name, _("参数不正确"))
    return int(value)


def report_filters(
    scope: Scope, params, *, uses: tuple[str, ...] = FILTER_FIELDS, extra: tuple[str, ...] = ()
) -> ReportFilters:
    """Parse and check the shared filters (a QueryDict or a dict). The period defaults to this
    month up to today in the viewer's store; a store, department or staff member outside the
    scope is a 404, a malformed value a 422 naming the field. A report without a staff
    dimension (`uses` without "staff") shows the stores' figures to every role it admits."""
    if scope.chain_wide:
        # the open stores to report on, and the closed ones to leave out, in one query
        chain = list(Store.objects.filter(org_id=scope.org_id).order_by("code", "pk"))
        stores = [s for s in chain if s.is_active]
        closed = tuple(s.pk for s in chain if not s.is_active)
    else:
        stores, closed = list(stores_for(scope).order_by("code", "pk")), None
    store_id = _id(params, "store_id")
    store = None
    if store_id is not None:
        store = next((s for s in stores if s.pk == store_id), None)
        if store is None:
            raise NotFound()
    home = store or next((s for s in stores if s.pk == scope.current_store_id), None)
    home = home or (stores[0] if stores else None)
    today = store_today(home) if home else timezone.localdate()  # no store: nothing to show
    start = _date(params, "start") or first_of_month(today)
    end = _date(params, "end") or max(today, start)
    if end < start:
        raise _invalid("end", _("结束日期不能早于开始日期"))
    if (end - start).days >= MAX_DAYS:
        raise _invalid("end", _("报表期间不能超过一年"))
    department_id = _id(params, "department_id") if "department" in uses else None
    department = get_department(scope, department_id) if department_id is not None else None
    staff_id = _id(params, "staff_id") if "staff" in uses else None
    mine = own_ids(scope) if "staff" in uses else None
    staff = None
    if staff_id is not None:
        if mine is not None and staff_id not in mine:
            raise NotFound()
        staff = get_staff(scope, staff_id)
    values = {name: _id(params, name) for name in extra}
    return ReportFilters(
        start=start,
        end=end,
        stores=tuple([store] if store else stores),
        store=store,
        department=department,
        staff=staff,
        own_ids=mine,
        extra=values,
        closed_store_ids=closed if store is None else None,
    )
