"""The HTML of the replica's pages, written the way ASP.NET WebForms renders the real site's.

Frameset, welcome page, the query form with its answers, the report's HTML view, the error pages, and the
exchange's ISIN list of listed securities (another host of the exchange, served here too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from replica.market import Record, Report, Security, format_price

DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)
VIEWSTATE_GENERATOR = "9A4F3E21"
NO_DATA = "查無資料"
WRONG_ANSWER = "驗證碼錯誤!"
EXPIRED_ANSWER = "驗證碼已逾期!"


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
    """One rendering of bsMenu.aspx: its hidden fields, its captcha and what the last query came to."""

    viewstate: str
    event_validation: str
    captcha_guid: str
    stock_code: str = ""
    error_message: str = ""
    download_href: str = ""
    block_trades: bool = False
    stock_field: str = "TextBox_Stkno"  # another name when the replica plays a redesigned site


def menu(page: MenuPage) -> str:
    normal_checked = "" if page.block_trades else ' checked="checked"'
    excd_checked = ' checked="checked"' if page.block_trades else ""
    download = (
        f'<a id="HyperLink_DownloadCSV" href="{page.download_href}">下載 CSV</a>'
        if page.download_href
        else ""
    )
    return (
        DOCTYPE
        + f"""<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>買賣日報表查詢系統</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<link href="bshtm.css" rel="stylesheet" type="text/css" /></head>
<body>
<form name="form1" method="post" action="./bsMenu.aspx" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__LASTFOCUS" id="__LASTFOCUS" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{escape(page.viewstate)}" />
</div>

<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['form1'];
if (!theForm) {{
    theForm = document.form1;
}}
function __doPostBack(eventTarget, eventArgument) {{
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {{
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }}
}}
//]]>
</script>

<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="{VIEWSTATE_GENERATOR}" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="{escape(page.event_validation)}" />
</div>
<table width="100%" border="0" cellpadding="0" cellspacing="0">
  <tr>
    <td width="220" rowspan="3"><img src="images/bshtm_logo.gif" alt="臺灣證券交易所" width="200" height="50" /></td>
    <td colspan="2" class="title">買賣日報表查詢系統</td>
  </tr>
  <tr>
    <td>
      <input id="RadioButton_Normal" type="radio" name="RadioButton_Normal" value="RadioButton_Normal"{normal_checked} /><label for="RadioButton_Normal">個別證券</label>
      <input id="RadioButton_Excd" type="radio" name="RadioButton_Normal" value="RadioButton_Excd"{excd_checked} /><label for="RadioButton_Excd">鉅額交易</label>
      &nbsp;證券代號：<input name="{page.stock_field}" type="text" value="{escape(page.stock_code)}" maxlength="8" id="{page.stock_field}" style="width:80px;" />
    </td>
    <td rowspan="2">
      <div id="Panel_bshtm">
        <div><img src="CaptchaImage.aspx?guid={page.captcha_guid}" border='0' width=200 height=60></div>
        <div>請輸入驗證碼：<input name="CaptchaControl1" id="CaptchaControl1" type="text" maxlength="5" style="width:80px;" /></div>
      </div>
    </td>
  </tr>
  <tr>
    <td>
      <input type="submit" name="btnOK" value="查詢" id="btnOK" />
      <input type="submit" name="Button_Reset" value="重新輸入" id="Button_Reset" />
      <span id="Label_ErrorMsg" style="color:Red;">{escape(page.error_message)}</span>
      {download}
    </td>
  </tr>
</table>
</form>
</body>
</html>
"""
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

    `traded_shares` is what trade_qty shows: the CSV's total buys, unless a fault makes the two disagree."""
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
    body = "\n".join(
        f"<tr class='column_value_price_{2 + index % 2}'>{cells}</tr>" for index, cells in enumerate(rows)
    )
    return f"<table class='table_detail' border='0' cellspacing='1' cellpadding='2'>\n<tr>{title}</tr>\n{body}\n</table>"


# The exchange's ISIN list (isin.twse.com.tw/isin/C_public.jsp?strMode=2), laid out as its parsers and a 2022
# copy show it: bare attributes, the sections' unclosed <B>, and the code and name joined by U+3000.
ISIN_LIST_TITLE = "本國上市證券國際證券辨識號碼一覽表"
ISIN_COLUMNS = ("有價證券代號及名稱 ", "國際證券辨識號碼(ISIN Code)", "上市日", "市場別", "產業別", "CFICode", "備註")
ISIN_SECTIONS = (
    ("股票", "stock"),
    ("上市認購(售)權證", "warrant"),
    ("特別股", "preferred"),
    ("創新板", "innovation"),
    ("ETF", "etf"),
    ("ETN", "etn"),
    ("臺灣存託憑證(TDR)", "tdr"),
    ("受益證券-不動產投資信託", "reit"),
)


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


def firewall_block(support_id: str) -> str:
    """The block page the site's firewall answers with once it has flagged a client."""
    return f"""<html><head><title>Request Rejected</title></head>
<body>
<h2>THE PAGE CANNOT BE ACCESSED!</h2>
<p>FOR SECURITY REASONS, THIS PAGE CAN NOT BE ACCESSED!</p>
<p>頁面無法執行：基於安全性考量，您的連線已被阻擋。</p>
<p>Your support ID is: {escape(support_id)}</p>
</body></html>
"""
