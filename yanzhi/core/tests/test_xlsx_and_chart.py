from datetime import date
from decimal import Decimal
from io import BytesIO

from django.template import Context, Template
from openpyxl import load_workbook

from yanzhi.core.xlsx import Sheet, workbook_bytes, xlsx_response


def test_workbook_keeps_money_as_numbers_and_notes_above_the_table():
    # given
    sheet = Sheet(
        title="项目销售排行",
        headers=["项目", "数量", "金额", "日期"],
        rows=[["水光针", 3, Decimal("3840.00"), date(2026, 11, 1)]],
        notes=["门店: 静安店"],
    )
    # when
    book = load_workbook(BytesIO(workbook_bytes([sheet])))
    # then
    ws = book["项目销售排行"]
    assert ws["A1"].value == "门店: 静安店"
    assert [c.value for c in ws[3]] == ["项目", "数量", "金额", "日期"]
    assert ws["C4"].value == 3840 and ws["C4"].number_format == "#,##0.00"
    assert ws["D4"].value.date() == date(2026, 11, 1)


def test_response_names_the_download_in_chinese():
    response = xlsx_response("到访报表", [Sheet(title="到访", headers=["类型"])])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert (
        "filename*=UTF-8''%E5%88%B0%E8%AE%BF%E6%8A%A5%E8%A1%A8.xlsx"
        in response["Content-Disposition"]
    )


def test_bar_chart_scales_bars_to_the_largest_value():
    html = Template("{% bar_chart pairs %}").render(Context({"pairs": [("初诊", 4), ("复诊", 2)]}))
    assert "width: 100.0%" in html and "width: 50.0%" in html
    empty = Template("{% bar_chart pairs %}").render(Context({"pairs": []}))
    assert "暂无数据" in empty
