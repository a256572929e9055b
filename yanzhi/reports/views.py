"""Pages of the report centre: the index, one page per report (with its Excel export), the
manager's home figures and the report settings. Thin: parse the filters, call the report, render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from yanzhi.core.errors import BusinessError
from yanzhi.core.xlsx import Sheet, xlsx_response
from yanzhi.org import policy
from yanzhi.org.decorators import action_view
from yanzhi.org.queries import departments_for, staff_for, stores_for
from yanzhi.reports import services
from yanzhi.reports.filters import report_filters
from yanzhi.reports.forms import ReportSettingsForm
from yanzhi.reports.home import home_figures
from yanzhi.reports.queries import report_settings
from yanzhi.reports.registry import BY_SLUG, reports_for
from yanzhi.reports.tables import report_sheets


def _choices(request, uses) -> dict:
    """What the filter bar offers: the viewer's stores, the chain's departments, and the staff
    whose figures the viewer may pick (only themselves / their group for own-figure roles)."""
    scope = request.scope
    choices = {"stores": list(stores_for(scope).order_by("code", "pk"))}
    if "department" in uses:
        choices["departments"] = list(departments_for(scope).order_by("name", "pk"))
    if "staff" in uses:
        staff = staff_for(scope).filter(is_active=True)
        if scope.role not in (policy.MANAGER, policy.HQ):
            staff = staff.filter(pk__in=scope.owner_ids or (scope.staff_id,))
        choices["staff_choices"] = list(staff.order_by("name", "pk").only("pk", "name"))
    return choices


@require_GET
@action_view("report.view")
def report_index(request):
    linked = [link for link in LINKED_REPORTS if policy.can(request.scope, link["action"])]
    context = {
        "reports": reports_for(request.scope),
        "linked": linked,
        "can_home": policy.can(request.scope, "report.home"),
        "can_configure": policy.can(request.scope, "report.configure"),
    }
    return render(request, "reports/index.html", context)


# Reports with pages of their own elsewhere, listed in the index for those who may open them.
LINKED_REPORTS = [
    {
        "slug": "promotions",
        "title": gettext_lazy("活动汇总"),
        "description": gettext_lazy("各活动各项目的销量、金额、新客和90天内复购"),
        "url": "/reports/promotions/",
        "action": "promotion.report",
    },
]


@require_GET
@vary_on_headers("HX-Request")
@action_view("report.view")
def report_page(request, slug: str):
    spec = BY_SLUG.get(slug)
    if spec is None:
        raise Http404
    policy.require(request.scope, spec.action)
    context = {"spec": spec, "params": request.GET, **_choices(request, spec.uses)}
    try:
        filters = report_filters(request.scope, request.GET, uses=spec.uses, extra=spec.extra)
        report = spec.build(request.scope, filters)
    except BusinessError as error:
        if error.status != 422:
            raise
        context["errors"] = error.as_dict()["fields"]
        return render(request, "reports/report.html", context, status=422)
    if request.GET.get("format") == "xlsx":
        name = f"{report.title}_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
        return xlsx_response(name, report_sheets(report))
    context.update(report=report, filters=filters)
    template = "reports/report.html" + ("#results" if request.htmx else "")
    return render(request, template, context)


def home_sheets(home) -> list[Sheet]:
    headers = [_("指标"), _("今日"), _("上月同日"), _("本月累计"), _("上月同期")]
    rows = [[f.label, f.today, f.today_before, f.month, f.month_before] for f in home.figures]
    return [Sheet(_("店长首页"), headers, rows, notes=home.filters.notes())]


@require_GET
@vary_on_headers("HX-Request")
@action_view("report.home")
def manager_home(request):
    context = {"params": request.GET, "stores": list(stores_for(request.scope).order_by("code"))}
    try:
        filters = report_filters(request.scope, request.GET, uses=("store",))
    except BusinessError as error:
        if error.status != 422:
            raise
        context["errors"] = error.as_dict()["fields"]
        return render(request, "reports/home.html", context, status=422)
    home = home_figures(request.scope, filters)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(f"{_('店长首页')}_{home.today:%Y%m%d}", home_sheets(home))
    context.update(home=home, filters=filters)
    return render(request, "reports/home.html", context)


@action_view("report.configure")
def settings_page(request):
    current = report_settings(request.scope)
    status = 200
    if request.method == "POST":
        form = ReportSettingsForm(request.POST, instance=current)
        if form.is_valid():
            try:
                values = {k: form.cleaned_data[k] for k in form.fields}
                services.update_report_settings(request.user.org, by=request.user, **values)
            except BusinessError as error:
                for field, errors in error.as_dict()["fields"].items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("报表设置已保存"))
                return redirect("reports:settings")
        status = 422
    else:
        form = ReportSettingsForm(instance=current)
    return render(request, "reports/settings.html", {"form": form}, status=status)
