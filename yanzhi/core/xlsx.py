"""Excel (.xlsx) export of tabular reports: one sheet per table, a bold header row, Decimal money
written as numbers with two decimals, dates as dates. Views hand it rows they already computed in
the database; nothing here queries."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own limit on a sheet title.
MAX_SHEET_TITLE = 31


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    # Lines written above the table: the report's filters, so a printed sheet says what it shows.
    notes: list[str] = field(default_factory=list)


def _cell_value(value):
    if isinstance(value, datetime):
        # Excel has no timezones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, Decimal | int | float | date) or value is None:
        return value
    return str(value)


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.title[:MAX_SHEET_TITLE])
        for note in sheet.notes:
            ws.append([note])
        if sheet.notes:
            ws.append([])
        ws.append(sheet.headers)
        for cell in ws[ws.max_row]:
            cell.font = bold
        widths = [len(str(h)) * 2 + 2 for h in sheet.headers]
        for row in sheet.rows:
            ws.append([_cell_value(v) for v in row])
            for index, value in enumerate(row):
                if isinstance(value, Decimal):
                    ws.cell(row=ws.max_row, column=index + 1).number_format = "#,##0.00"
                elif isinstance(value, datetime):
                    ws.cell(row=ws.max_row, column=index + 1).number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, date):
                    ws.cell(row=ws.max_row, column=index + 1).number_format = "yyyy-mm-dd"
                if index < len(widths):
                    widths[index] = max(widths[index], min(len(str(value)) * 2 + 2, 60))
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: list[Sheet]) -> HttpResponse:
    """A download of the sheets; `filename` without extension, Chinese allowed (RFC 5987)."""
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    quoted = quote(f"{filename}.xlsx")
    response["Content-Disposition"] = (
        f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quoted}"
    )
    return response
