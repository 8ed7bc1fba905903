"""bsContent.aspx over real HTTP: the CSV in the site's two layouts of 2026, reports whose buys and sells
differ as real ones do, RecCount, the HTML view, and who may see them."""

from __future__ import annotations

import csv
import math
import re
from decimal import Decimal

import httpx
import pytest

from bsr.settings import REPO_ROOT
from replica.market import UNBALANCED_SHARE, Market, format_price, securities, stock_tick_cents
from tests.replica.conftest import CsvReport, view_number

TITLE = "券商買賣股票成交價量資訊"
HEADER = ["序號", "券商", "價格", "買進股數", "賣出股數", "", "序號", "券商", "價格", "買進股數", "賣出股數"]
RECORD_FIELD = re.compile(r'"[^"]*"')
REAL_CSVS = REPO_ROOT.parent / "shared" / "data" / "live-csv-2026-07"
# A line of records in the July 2026 layout: bare fields, an empty right half of five empty fields, a space and LF.
JULY_RECORD_HALF = r"\d+,[^,\"\r\n]{5,},\d+\.\d\d,\d+,\d+"
JULY_RECORD_LINE = re.compile(rf"{JULY_RECORD_HALF},,(?:{JULY_RECORD_HALF}|,,,,) \n")


def record_count_parity(replica, parity: int, kind: str = "stock") -> str:
    """A small security whose report has an odd (1) or even (0) number of records."""
    market = Market(replica.config.seed)
    for security in securities():
        report = market.report(replica.config.trade_date, security.code)
        if security.kind == kind and report and 2 < len(report.records) < 400 and len(report.records) % 2 == parity:
            return security.code
    raise AssertionError("no such security")


def parse_report(text: str) -> tuple[str, list[tuple[int, str, str, int, int]]]:
    lines = text.split("\r\n")
    assert lines[0] == TITLE
    assert lines[-1] == ""
    code = re.fullmatch(r'股票代碼,="(\w+)"', lines[1])
    assert code is not None, lines[1]
    assert lines[2].split(",") == HEADER
    records = []
    for line in lines[3:-1]:
        assert line.endswith(" ")
        fields = next(csv.reader([line.rstrip(" ")]))
        assert len(fields) == 11 and fields[5] == ""
        assert RECORD_FIELD.fullmatch(line.split(",")[0])
        for half in (fields[:5], fields[6:]):
            if half == [""] * 5:
                continue
            records.append((int(half[0]), half[1], half[2], int(half[3]), int(half[4])))
    return code.group(1), records


@pytest.mark.parametrize("parity", [1, 0])
def test_csv_layout_of_september_2026_is_the_default(replica, visitor, parity: int) -> None:
    code = record_count_parity(replica, parity)
    response = visitor.download(code)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.count(b"\r\n") == response.content.count(b"\n"), "every line ends in CRLF"
    served_code, records = parse_report(response.content.decode("utf-8-sig"))
    report = Market(replica.config.seed).report(replica.config.trade_date, code)
    assert served_code == code
    assert [number for number, *_ in records] == list(range(1, len(report.records) + 1))
    last_line = response.content.decode("utf-8-sig").split("\r\n")[-2]
    assert last_line.endswith(',"","","","","" ') == (parity == 1)
    assert (sum(buy for *_, buy, _ in records), sum(sell for *_, sell in records)) == (
        report.total_buy,
        report.total_sell,
    )
    keys = [(label[:4], Decimal(price)) for _, label, price, _, _ in records]
    assert keys == sorted(keys), "ordered by broker, then price"
    assert len(set(keys)) == len(keys)
    for _, label, price, buy, sell in records:
        assert re.fullmatch(r"\d+\.\d\d", price)
        cents = int(Decimal(price) * 100)
        assert cents % stock_tick_cents(cents) == 0
        assert buy >= 0 and sell >= 0 and buy + sell > 0
        assert len(label) >= 6 and re.fullmatch(r"[0-9A-Za-z]{4}", label[:4])


def july_2026_lines(body: bytes) -> list[bytes]:
    """The lines of a CSV in the July 2026 layout, each with its line end, checked as the real files are laid
    out: Big5 with no BOM, the three header lines ending CRLF, every record line a space and LF, no quotes."""
    assert not body.startswith(b"\xef\xbb\xbf")
    lines = body.splitlines(keepends=True)
    assert all(line.endswith(b"\r\n") for line in lines[:3]) and b"\r" not in b"".join(lines[3:])
    text = [line.decode("cp950") for line in lines]
    assert text[0] == TITLE + "\r\n" and re.fullmatch(r'股票代碼,="\w+"\r\n', text[1])
    assert text[2] == ",".join(HEADER) + "\r\n"
    for line in text[3:]:
        assert JULY_RECORD_LINE.fullmatch(line), line
    return lines


@pytest.mark.parametrize("parity", [1, 0])
def test_csv_layout_of_july_2026(replica, visitor, parity: int) -> None:
    code = record_count_parity(replica, parity)
    september = CsvReport.parse(visitor.download(code).content)
    replica.config.csv_layout = "2026-07"
    response = visitor.download(code)
    assert response.headers["content-type"] == "text/csv; charset=big5"
    lines = july_2026_lines(response.content)
    assert lines[-1].endswith(b",,,,,, \n") == (parity == 1)
    july = CsvReport.parse(response.content)
    assert july == september and july.stock_code == code, "the same report in the other layout"
    assert [record.number for record in july.records] == list(range(1, len(july.records) + 1))


def test_the_july_2026_layout_is_laid_out_as_the_real_files_of_that_day(replica, visitor) -> None:
    real_files = sorted(REAL_CSVS.glob("*.csv"))
    if not real_files:
        pytest.skip(f"the real CSVs of 2026-07-29 are not at {REAL_CSVS}")
    replica.config.csv_layout = "2026-07"
    served = visitor.download("2330").content
    for path in real_files:
        july_2026_lines(path.read_bytes())
    july_2026_lines(served)
    real = (REAL_CSVS / "20260729_2330_twse_broker_trades.csv").read_bytes()
    assert served.splitlines(keepends=True)[:3] == real.splitlines(keepends=True)[:3], "title, code and header"


def test_a_large_report_through_the_download_link_whose_reccount_counts_pages_of_100(replica, visitor) -> None:
    answer_page = visitor.solve(visitor.open_form(), "2330")
    rec_count = int(re.search(r"RecCount=(\d+)", answer_page.download_href).group(1))
    _, records = parse_report(visitor.http.get(answer_page.download_href).content.decode("utf-8-sig"))
    assert len(records) > 5_000 and rec_count == math.ceil(len(records) / 100), "as the live site's 157 for 15,695"
    labels = {label for _, label, *_ in records}
    assert any("\u3000" in label for label in labels)
    assert 700 <= len(labels) <= 916
    assert replica.stats()["reports_served"] == 1


def test_branch_ids_are_case_sensitive(replica) -> None:
    market = Market(replica.config.seed)
    ids = {record.broker.broker_id for record in market.report(replica.config.trade_date, "2330").records}
    assert len({broker_id.lower() for broker_id in ids}) < len(ids)


def test_report_only_to_the_session_that_solved_its_captcha(replica, visitor) -> None:
    answer_page = visitor.solve(visitor.open_form(), "2317")
    stranger = httpx.get(replica.base_url + answer_page.download_href)
    assert stranger.status_code == 200 and stranger.content == b""
    other_code = visitor.http.get(answer_page.download_href.replace("2317", "2330"))
    assert other_code.content == b""
    assert visitor.http.get(answer_page.download_href).content.startswith(b"\xef\xbb\xbf")
    # A bare bsContent.aspx gives the session's last solved report, as the site's stale page does.
    bare = visitor.http.get("bsContent.aspx")
    assert parse_report(bare.content.decode("utf-8-sig"))[0] == "2317"
    assert replica.stats()["reports_refused"] == 2


def view_cell(page: str, cell_id: str) -> str:
    match = re.search(rf"<td class='column_value_1' id='{cell_id}'>([^<]*)</td>", page)
    assert match, cell_id
    return match.group(1)


def test_html_view_has_the_day_summary_and_details(replica, visitor) -> None:
    answer_page = visitor.solve(visitor.open_form(), "2330")
    page = visitor.http.get(answer_page.download_href + "&v=t").text
    report = Market(replica.config.seed).report(replica.config.trade_date, "2330")

    def cell(cell_id: str) -> str:
        return view_cell(page, cell_id)

    assert "<table id='Table1'" in page
    assert cell("receive_date") == "2026/11/20" and cell("stock_id") == "2330&nbsp;台積電"
    assert cell("trade_qty") == f"{report.traded_shares:,}" and "," in cell("trade_qty")
    assert report.traded_shares in (report.total_buy, report.total_sell)
    assert cell("trade_rec") == f"{report.trade_count:,}" and cell("trade_amt") == f"{report.turnover:,}"
    low, high = Decimal(cell("low_price")), Decimal(cell("high_price"))
    assert "," not in cell("high_price") and high > 1000, "prices carry no thousands separators"
    assert low <= Decimal(cell("open_price")) <= high and low <= Decimal(cell("last_price")) <= high
    assert page.count("<td class='column_title_2'>序</td><td class='column_title_2'>證券商</td>") == 2
    rows = re.findall(r"<tr class='column_value_price_([23])'>(.*?)</tr>", page)
    numbers = [int(cells.split(">", 1)[1].split("<", 1)[0]) for _, cells in rows]
    half = (len(report.records) + 1) // 2
    assert numbers[:half] == list(range(1, len(report.records) + 1, 2)), "odd 序號 in the left table"
    assert numbers[half:] == list(range(2, len(report.records) + 1, 2)), "even 序號 in the right table"
    assert [kind for kind, _ in rows[:4]] == ["2", "3", "2", "3"]
    first = report.records[0]
    assert rows[0][1] == (
        f"<td class='column_value_center'>   1</td>"
        f"<td class='column_value_left'>{first.broker.broker_id}  {first.broker.name}</td>"
        f"<td class='column_value_right'>{format_price(first.price_cents)}</td>"
        f"<td class='column_value_right'>{first.buy:,}</td><td class='column_value_right'>{first.sell:,}</td>"
    )
    assert visitor.http.get("bsContent.aspx?v=t").text == page


def test_html_view_fills_the_right_table_when_the_count_is_odd(replica, visitor) -> None:
    code = record_count_parity(replica, 1)
    answer_page = visitor.solve(visitor.open_form(), code)
    page = visitor.http.get(answer_page.download_href + "&v=t").text
    count = len(Market(replica.config.seed).report(replica.config.trade_date, code).records)
    assert page.count("<tr class='column_value_price_") == count + 1
    assert page.count("<td class='column_value_center'>&nbsp;</td>") == 1
    assert page.count("&nbsp;</td>") == 5


def small_reports(replica, count: int) -> list[str]:
    """Codes of `count` securities with small reports on the replica's trade date, in the exchange's order."""
    market = Market(replica.config.seed)
    codes = []
    for security in securities():
        report = market.report(replica.config.trade_date, security.code)
        if report is not None and len(report.records) < 300:
            codes.append(security.code)
        if len(codes) == count:
            return codes
    raise AssertionError("not enough small reports")


def test_reports_are_unbalanced_by_small_amounts_at_the_rate_seen_on_the_live_site(replica, visitor) -> None:
    differences = []
    for code in small_reports(replica, 600):
        report = CsvReport.parse(visitor.download(code).content)
        assert report.stock_code == code
        assert [record.number for record in report.records] == list(range(1, len(report.records) + 1))
        differences.append(report.total_buy - report.total_sell)
    unbalanced = [difference for difference in differences if difference]
    assert 0.75 * UNBALANCED_SHARE <= len(unbalanced) / len(differences) <= 1.25 * UNBALANCED_SHARE  # 6 of 27 live
    assert all(abs(difference) <= 2_000 for difference in unbalanced), "a few shares to two lots, as seen"
    assert any(difference < 0 for difference in unbalanced) and any(difference > 0 for difference in unbalanced)
    assert any(abs(difference) < 100 for difference in unbalanced), "odd shares (+7, +40, +60, -30 seen)"
    assert any(abs(difference) % 1_000 == 0 for difference in unbalanced), "whole lots (+2,000 seen twice)"


def test_the_views_trade_qty_is_the_csvs_total_buys_or_total_sells_per_security(replica, visitor) -> None:
    market = Market(replica.config.seed)
    day = replica.config.trade_date
    unbalanced = [
        code
        for code in small_reports(replica, 120)
        if (report := market.report(day, code)).total_buy != report.total_sell
    ]
    shown = set()
    for code in unbalanced[:16]:
        _, body, page = visitor.report(code)
        csv_report = CsvReport.parse(body.content)
        traded = view_number(page, "trade_qty")
        assert traded in (csv_report.total_buy, csv_report.total_sell), code
        side = "buy" if traded == csv_report.total_buy else "sell"
        shown.add(side)
        turnover = sum(getattr(record, side) * record.price for record in csv_report.records)
        assert view_number(page, "trade_amt") == int(turnover), "成交金額 of the same side"
        again = visitor.report(code)[2]
        assert view_number(again, "trade_qty") == traded, "the same side every time"
    assert shown == {"buy", "sell"}, "some securities show their buys, others their sells"


def test_view_mismatch_makes_trade_qty_disagree_with_the_csv(replica, visitor) -> None:
    control = httpx.Client(base_url=replica.root_url + "/replica/api/", timeout=10)
    assert control.post("faults", json={"view_mismatch_rate": 2}).status_code == 400
    assert control.post("faults", json={"view_mismatch_rate": 1}).json()["view_mismatch_rate"] == 1
    answer_page = visitor.solve(visitor.open_form(), "2317")
    csv_report = CsvReport.parse(visitor.http.get(answer_page.download_href).content)
    page = visitor.http.get(answer_page.download_href + "&v=t").text
    larger = max(csv_report.total_buy, csv_report.total_sell)
    assert int(view_cell(page, "trade_qty").replace(",", "")) == larger + 1_000
    assert replica.stats()["faults_view_mismatch"] == 1
    control.post("faults", json={"view_mismatch_rate": 0})
    page = visitor.http.get(answer_page.download_href + "&v=t").text
    assert int(view_cell(page, "trade_qty").replace(",", "")) in (csv_report.total_buy, csv_report.total_sell)
    assert replica.stats()["faults_view_mismatch"] == 1


def test_reports_are_deterministic_per_seed_and_date(replica) -> None:
    date = replica.config.trade_date
    assert Market(1).report(date, "2454") == Market(1).report(date, "2454")
    assert Market(1).report(date, "2454") != Market(2).report(date, "2454")
    assert Market(1).report(date, "2454") != Market(1).report(date.replace(day=19), "2454")
    assert Market(1).report(date.replace(day=21), "2454") is None, "no trading on Saturdays"
