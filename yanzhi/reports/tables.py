"""What a report hands to the page, the Excel export and the API: tables of plain rows (dicts)
with typed columns. Nothing here queries; every figure was computed in the database."""

from dataclasses import dataclass, field
from decimal import Decimal

from yanzhi.core.money import to_money
from yanzhi.core.xlsx import Sheet

MONEY, INT, TEXT, PERCENT, MINUTES, NUMBER = "money", "int", "text", "percent", "minutes", "number"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = INT


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    # A bar chart of (label column, value column) when a picture reads better.
    chart: tuple[str, str] | None = None
    note: str = ""

    @property
    def chart_pairs(self) -> list[tuple]:
        if not self.chart:
            return []
        label, value = self.chart
        return [(row.get(label) or "—", row.get(value) or 0) for row in self.rows]

    @property
    def chart_money(self) -> bool:
        return bool(self.chart) and self._kind(self.chart[1]) == MONEY

    def _kind(self, key: str) -> str:
        return next((c.kind for c in self.columns if c.key == key), TEXT)


@dataclass
class Report:
    slug: str
    title: str
    filters: object  # ReportFilters
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    # Extra context a page may show (e.g. the category breadcrumb).
    context: dict = field(default_factory=dict)


def percent(part, whole) -> Decimal | None:
    """part / whole as a percentage with one decimal (None when there is nothing to divide)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _json_value(kind: str, value):
    if value is None:
        return None
    if kind == MONEY:
        return str(to_money(value))
    if isinstance(value, Decimal):
        return float(value)
    return value


def table_json(table: Table) -> dict:
    kinds = {c.key: c.kind for c in table.columns}

    def row(values: dict) -> dict:
        return {k: _json_value(kinds.get(k, TEXT), v) for k, v in values.items() if k in kinds}

    return {
        "key": table.key,
        "title": str(table.title),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": [row(r) for r in table.rows],
        "total": row(table.total) if table.total else None,
    }


def report_json(report: Report) -> dict:
    return {
        "report": report.slug,
        "title": str(report.title),
        "filters": report.filters.as_dict(),
        "tables": [table_json(t) for t in report.tables],
    }


def _cell(kind: str, value):
    if value is None:
        return None
    if kind == MONEY:
        return to_money(value)
    if kind in (PERCENT, MINUTES, NUMBER) and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value


def report_sheets(report: Report) -> list[Sheet]:
    """One sheet per table, the filters written as notes above it."""
    sheets = []
    for table in report.tables:
        rows = [[_cell(c.kind, r.get(c.key)) for c in table.columns] for r in table.rows]
        if table.total:
            rows.append([_cell(c.kind, table.total.get(c.key)) for c in table.columns])
        notes = [f"{report.title} · {table.title}", *report.filters.notes()]
        if table.note:
            notes.append(str(table.note))
        sheets.append(
            Sheet(
                title=str(table.title),
                headers=[str(c.label) for c in table.columns],
                rows=rows,
                notes=notes,
            )
        )
    return sheets
