"""The HTML of the replica's pages, written the way ASP.NET WebForms renders the real site's: frameset, welcome
page, the query form with its answers, the report's HTML view, the error pages, and the exchange's ISIN list of
listed securities (another host of the exchange, served here too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import jinja2

from replica.market import ISIN_SECTIONS, Record, Report, Security, format_price

DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)
NO_DATA = "查無資料"
WRONG_ANSWER = "驗證碼錯誤!"
EXPIRED_ANSWER = "驗證碼已逾期!"
# The page loads two WebResource.axd scripts; their `d=` tokens are ASP.NET's encrypted resource names, and
# `t=` the assembly's build time in .NET ticks. These are the replica's own values, of the live ones' shape.
WEB_RESOURCES = (
    "Xq3nB8v0LrT2aYk9cWm5JdPzHs7uEfGi1oNlQw4tVbR6yKjZxCa-Ue_gMp0DhSsLk2nTfYr8WqIvBo3zXcPaEu5lGjHdRy7mNt1",
    "Fk7pLm2QzXw9RtYb4NcVs1HjGa8UeDo5KiTr3WnBq6MyZxPl0CvEu_gSdJf-hAoIk9bLw2mYs4RtQpNz7XcVeGa1UjHdFo8KlB3",
)
WEB_RESOURCE_TICKS = "638412345670000000"
# Byte for byte as the site sends them: a template keeps every newline, the last one too.
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def site_date(trade_date: date) -> str:
    return trade_date.strftime("%Y/%m/%d")


def frameset() -> str:
    return (
        DOCTYPE
        + """<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>買賣日報表查詢系統</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" /></head>
<frameset rows="170,*" border="0" frameborder="0" framespacing="0">
  <frame name="page1" id="page1" src="bsMenu.aspx" scrolling="no" noresize="noresize" />
  <frame name="page2" id="page2" src="bsWelcome.aspx" scrolling="auto" />
  <noframes><body>您的瀏覽器不支援框架。</body></noframes>
</frameset>
</html>
"""
    )


def welcome(trade_date: date) -> str:
    return (
        DOCTYPE
        + f"""<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>買賣日報表查詢系統</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" /></head>
<body>
<form name="form1" method="post" action="./bsWelcome.aspx" id="form1">
<table width="100%" border="0" cellpadding="4" cellspacing="0">
  <tr><td align="center" class="title">歡迎使用買賣日報表查詢系統</td></tr>
  <tr><td align="center">資料日期：<span id="Label_Date">{site_date(trade_date)}</span></td></tr>
  <tr><td align="center" class="note">此資料不得逕自散布或販售</td></tr>
</table>
</form>
</body>
</html>
"""
    )


@dataclass(frozen=True)
class MenuPage:
    """One rendering of bsMenu.aspx: its hidden fields, its captcha and what the last query came to.

    `rec_count` is set on the answer that found a report: the page then sends frame page2 to the report's
    HTML view and links its CSV (ASP.NET leaves the link out entirely otherwise)."""

    viewstate: str
    event_validation: str
    captcha_guid: str
    stock_code: str = ""
    error_message: str = ""
    rec_count: int | None = None
    block_trades: bool = False
    stock_field: str = "TextBox_Stkno"  # another name when the replica plays a redesigned site


def menu(page: MenuPage) -> str:
    """bsMenu.aspx as the live site rendered it in September 2026, for the GET and for every answer (its style
    block abbreviated to the rules of the classes the page uses)."""
    # Captured: the labels are cyan on the answer that found a report and colour "0" on an error answer;
    # the GET page's colour was not captured and is taken to be the cyan.
    label_colour = "0" if page.error_message else "#1affff"
    return TEMPLATES.get_template("bsMenu.aspx.html").render(
        page=page,
        label_colour=label_colour,
        web_resources=WEB_RESOURCES,
        web_resource_ticks=WEB_RESOURCE_TICKS,
    )


def _thousands(value: int) -> str:
    return f"{value:,}"


# What 2022-2026 scrapers read from bsContent.aspx?v=t (SITE.md, "The report"): ids, single-quoted attributes,
# label/value pairs in table#Table1 and two detail tables side by side. No 2026 capture of the page is public,
# so the title, the order of the pairs, the table attributes and the widths of 序號 are the replica's choice.
REPORT_VIEW_TITLE = "券商買賣股票成交價量資訊"
DETAIL_COLUMNS = ("序", "證券商", "成交單價", "買進股數", "賣出股數")
FILLER_ROW = "<td class='column_value_center'>&nbsp;</td><td class='column_value_left'>&nbsp;</td>" + (
    "<td class='column_value_right'>&nbsp;</td>" * 3
)


def report_view(report: Report, stock_name: str, traded_shares: int) -> str:
    """bsContent.aspx?v=t: the report as HTML, with the day's date and prices the CSV lacks.

    `traded_shares` is what trade_qty shows: the CSV's total buys or total sells (`report.traded_side`), unless
    a fault makes it neither; trade_amt is the turnover of the same side."""
    pairs = (
        ("交易日期", "receive_date", site_date(report.trade_date)),
        ("股票代號", "stock_id", f"{escape(report.stock_code)}&nbsp;{escape(stock_name)}"),
        ("成交筆數", "trade_rec", _thousands(report.trade_count)),
        ("成交金額", "trade_amt", _thousands(report.turnover)),
        ("成交股數", "trade_qty", _thousands(traded_shares)),
        ("開盤價", "open_price", format_price(report.open_cents)),
        ("最高價", "high_price", format_price(report.high_cents)),
        ("最低價", "low_price", format_price(report.low_cents)),
        ("收盤價", "last_price", format_price(report.last_cents)),
    )
    header = "\n".join(
        f"  <tr><td class='column_title_1'>{label}</td><td class='column_value_1' id='{cell_id}'>{value}</td></tr>"
        for label, cell_id, value in pairs
    )
    numbered = list(enumerate(report.records, start=1))
    left, right = numbered[0::2], numbered[1::2]
    return (
        DOCTYPE
        + f"""<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>{REPORT_VIEW_TITLE}</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" /></head>
<body>
<table id='Table1' class='table_header' border='0' cellspacing='1' cellpadding='2'>
{header}
</table>
<table id='Table2' border='0' cellspacing='0' cellpadding='0'>
<tr>
<td valign='top'>{_detail_table(left, len(right) - len(left))}</td>
<td valign='top'>{_detail_table(right, len(left) - len(right))}</td>
</tr>
</table>
</body>
</html>
"""
    )


def _detail_table(numbered: list[tuple[int, Record]], fillers: int) -> str:
    """One of the two detail tables; rows alternate between the classes _2 and _3 as the site's do."""
    title = "".join(f"<td class='column_title_2'>{column}</td>" for column in DETAIL_COLUMNS)
    rows = [
        f"<td class='column_value_center'>{number:>4}</td>"
        f"<td class='column_value_left'>{escape(record.broker.broker_id)}  {escape(record.broker.name)}</td>"
        f"<td class='column_value_right'>{format_price(record.price_cents)}</td>"
        f"<td class='column_value_right'>{_thousands(record.buy)}</td>"
        f"<td class='column_value_right'>{_thousands(record.sell)}</td>"
        for number, record in numbered
    ] + [FILLER_ROW] * max(0, fillers)
    body = "\n".join(f"<tr class='column_value_price_{2 + index % 2}'>{cells}</tr>" for index, cells in enumerate(rows))
    return (
        f"<table class='table_detail' border='0' cellspacing='1' cellpadding='2'>\n<tr>{title}</tr>\n{body}\n</table>"
    )


# The exchange's ISIN list (isin.twse.com.tw/isin/C_public.jsp?strMode=2), laid out as its parsers and a 2022
# copy show it: bare attributes, the sections' unclosed <B>, and the code and name joined by U+3000.
ISIN_LIST_TITLE = "本國上市證券國際證券辨識號碼一覽表"
ISIN_COLUMNS = ("有價證券代號及名稱 ", "國際證券辨識號碼(ISIN Code)", "上市日", "市場別", "產業別", "CFICode", "備註")


def isin_list(updated_on: date, listed: list[Security]) -> str:
    """The exchange's list of listed securities, one section per kind, as of `updated_on`."""
    rows = ["<tr align=center>" + "".join(f"<td bgcolor=#D5FFD5>{column}</td>" for column in ISIN_COLUMNS) + "</tr>"]
    for section, kind in ISIN_SECTIONS:
        members = [security for security in listed if security.kind == kind]
        if not members:
            continue
        rows.append(f"<tr><td bgcolor=#FAFAD2 colspan=7 ><B> {section} <B> </td></tr>")
        for security in members:
            cells = (
                f"{security.code}\u3000{security.name}",
                security.isin,
                site_date(security.listed_on),
                "上市",
                security.industry,
                security.cfi,
                "",
            )
            rows.append("<tr>" + "".join(f"<td bgcolor=#FAFAD2>{escape(cell)}</td>" for cell in cells) + "</tr>")
    table = "\n".join(rows)
    return f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=MS950">
<title>{ISIN_LIST_TITLE}</title>
<link rel="stylesheet" href="/isin/style1.css" type="text/css">
</head>
<body>
<table  align=center>
<h2><strong><font class='h1'>{ISIN_LIST_TITLE}</font></strong></h2>
<h2><strong><font class='h1'><center>最近更新日期:{site_date(updated_on)}  </center> </font></strong></h2>
<h2><font color='red'><center>掛牌日以正式公告為準</center></font></h2>
</table>
<TABLE class='h4' align=center cellSpacing=3 cellPadding=2 width=750 border=0>
{table}
</table>
<font color='red'><center>掛牌日以正式公告為準</center></font>
</body></html>
"""


def server_error(message: str, detail: str) -> str:
    """ASP.NET's yellow error page, as the site shows it for a bad postback or an internal failure."""
    return (
        DOCTYPE
        + f"""<html>
<head><title>{escape(message)}</title></head>
<body bgcolor="white">
<span><h1>Server Error in '/bshtm' Application.<hr width=100% size=1 color=silver></h1>
<h2> <i>{escape(message)}</i> </h2></span>
<font face="Arial, Helvetica, Geneva, SunSans-Regular, sans-serif ">
<b> Description: </b>{escape(detail)}
<br><br>
<hr width=100% size=1 color=silver>
<b>Version Information:</b>&nbsp;Microsoft .NET Framework Version:4.0.30319; ASP.NET Version:4.8.4494.0
</font>
</body>
</html>
"""
    )


def server_busy() -> str:
    """What the captcha URL answers instead of an image when the site is overloaded."""
    return (
        DOCTYPE
        + """<html><head><title>Server Too Busy</title></head>
<body><h1>Server Too Busy</h1><p>The server is too busy to handle this request. Please try again later.</p></body>
</html>
"""
    )


def firewall_block(error_code: str) -> str:
    """The block page the firewall in front of TWSE's hosts answers, with HTTP 200, as captured in 2026."""
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
</head>
<body>
因為安全性考量，您所執行的頁面無法呈現。<BR>
FOR SECURITY REASONS, THIS PAGE CAN NOT BE ACCESSED.<BR>
錯誤代碼：{escape(error_code)}<BR>
</body></html>
"""


def forbidden() -> str:
    """The HTTP 403 the site throttles with. Its live body was never published: this is IIS's plain page,
    and clients must go by the status code, not by this text."""
    return (
        DOCTYPE
        + """<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>403 - Forbidden: Access is denied.</title></head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
<h2>403 - Forbidden: Access is denied.</h2>
<h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3>
</div>
</body>
</html>
"""
    )


# The live site answered some queries in 2026 with an empty page of about 236 bytes and no form.
BLANK_POST_BYTES = 236


def blank_post() -> str:
    """An empty HTML skeleton padded with whitespace to the size of the live blank answers."""
    skeleton = '\r\n\r\n<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head><title>\r\n</title></head>\r\n<body>\r\n'
    ending = "</body>\r\n</html>\r\n"
    return skeleton + " " * (BLANK_POST_BYTES - len(skeleton) - len(ending)) + ending


def _small_page(title: str, text: str) -> str:
    return f"""<html>
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>{title}</title></head>
<body>
<h3>{title}</h3>
<p>{text}</p>
</body>
</html>
"""


# What use.htm and privacy.htm say on the live site was not captured; these pages only name themselves.
def terms_of_use() -> str:
    return _small_page("使用條款", "此資料不得逕自散布或販售。")


def privacy() -> str:
    return _small_page("隱私權保護說明", "本網站之隱私權保護說明。")
