"""The report table's rows, built by the `table_rows` tag: cells formatted by column kind,
numbers right-aligned, the first cell a drill-down link when the row has one, text escaped."""

from decimal import Decimal

from yanzhi.reports.tables import MONEY, PERCENT, TEXT, Column, Table
from yanzhi.reports.templatetags.reports import table_rows


def test_rows_are_formatted_escaped_and_linked():
    table = Table(
        key="t",
        title="t",
        columns=[
            Column("name", "名称", TEXT),
            Column("amount", "金额", MONEY),
            Column("share", "占比", PERCENT),
        ],
        rows=[
            {"name": "医美", "amount": Decimal("1234.5"), "share": Decimal("12.5"), "drill": 7},
            {"name": "<b>商品</b>", "amount": None, "share": None, "drill": None},
        ],
    )
    html = table_rows(table, "start=2026-03-01&end=2026-03-31")
    first, second = html.split("</tr>")[:2]
    assert first == (
        '<tr><td><a href="?start=2026-03-01&amp;end=2026-03-31&amp;parent=7" class="drill" '
        'data-category="7">医美</a></td><td class="text-end">¥1,234.50</td>'
        '<td class="text-end">12.5%</td>'
    )
    assert second == (
        '<tr><td>&lt;b&gt;商品&lt;/b&gt;</td><td class="text-end">—</td><td class="text-end">—</td>'
    )
