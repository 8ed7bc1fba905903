"""The exchange's ISIN list as the replica serves it: Big5 HTML in the real page's layout, growing and
shrinking with the trade date, and the control API that lists and delists securities."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from replica.market import Market

DATA_ROW = re.compile(r"<tr>((?:<td bgcolor=#FAFAD2>[^<]*</td>){7})</tr>")
SECTION_ROW = re.compile(r"<tr><td bgcolor=#FAFAD2 colspan=7 ><B> (.+?) <B> </td></tr>")


def listing_page(replica) -> str:
    response = httpx.get(replica.listing_url, timeout=10)
    assert response.status_code == 200 and "MS950" in response.headers["content-type"]
    return response.content.decode("cp950")


def listed_rows(page: str) -> dict[str, list[str]]:
    rows = {}
    for match in DATA_ROW.finditer(page):
        cells = re.findall(r"<td bgcolor=#FAFAD2>([^<]*)</td>", match.group(1))
        code, _, _ = cells[0].partition("\u3000")
        rows[code] = cells
    return rows


def test_the_list_has_the_exchange_pages_layout_in_big5(replica) -> None:
    page = listing_page(replica)
    assert "<title>本國上市證券國際證券辨識號碼一覽表</title>" in page
    assert "最近更新日期:2026/11/20" in page
    assert page.count("<TABLE class='h4'") == 1
    header = re.search(r"<tr align=center>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td bgcolor=#D5FFD5>([^<]*)</td>", header) == [
        "有價證券代號及名稱 ",
        "國際證券辨識號碼(ISIN Code)",
        "上市日",
        "市場別",
        "產業別",
        "CFICode",
        "備註",
    ]
    assert SECTION_ROW.findall(page) == [
        "股票",
        "上市認購(售)權證",
        "特別股",
        "創新板",
        "ETF",
        "ETN",
        "臺灣存託憑證(TDR)",
        "受益證券-不動產投資信託",
    ]
    rows = listed_rows(page)
    assert rows["1101"] == ["1101\u3000台泥", "TW0001101004", "1962/02/09", "上市", "水泥工業", "ESVUFR", ""]
    assert rows["00400A"][0] == "00400A\u3000主動國泰動能高息" and rows["00980A"][2] == "2025/05/05"
    assert len(rows) >= 1300
    assert httpx.get(replica.listing_url.replace("strMode=2", "strMode=4")).status_code == 404


def test_the_list_follows_the_trade_date_and_so_do_the_reports(replica) -> None:
    replica.config.trade_date = date(2026, 7, 31)
    assert "00400A" not in listed_rows(listing_page(replica))
    assert Market(replica.config.seed).report(date(2026, 7, 31), "00400A") is None
    replica.config.trade_date = date(2026, 8, 3)
    assert "00400A" in listed_rows(listing_page(replica))
    assert replica.state.market.report(date(2026, 8, 3), "00400A") is not None


def test_the_control_api_lists_and_delists(replica, visitor) -> None:
    today = replica.config.trade_date
    control = httpx.Client(base_url=replica.root_url + "/replica/api/", timeout=10)
    listed = control.post(
        "listings", json={"code": "00999A", "name": "主動測試", "kind": "etf", "listed_on": today.isoformat()}
    )
    assert listed.status_code == 200 and "00999A" in {item["code"] for item in listed.json()}
    delisted = control.post(
        "listings",
        json={
            "code": "1101",
            "name": "台泥",
            "kind": "stock",
            "listed_on": "1962-02-09",
            "delisted_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert "1101" not in {item["code"] for item in delisted.json()}
    rows = listed_rows(listing_page(replica))
    assert "00999A" in rows and "1101" not in rows and "1102" in rows
    assert visitor.solve(visitor.open_form(), "1101").error_message == "查無資料"
    assert visitor.solve(visitor.open_form(), "00999A").download_href
    assert control.post("listings", json={"code": "1101", "kind": "bond"}).status_code == 400
    replica.reset()
    assert "1101" in listed_rows(listing_page(replica))


def test_the_report_sites_faults_do_not_reach_the_list(replica) -> None:
    replica.config.error_rate = 1.0
    assert httpx.get(replica.base_url + "bsWelcome.aspx").status_code == 500
    assert httpx.get(replica.listing_url).status_code == 200
    assert replica.stats()["listings_served"] == 1
