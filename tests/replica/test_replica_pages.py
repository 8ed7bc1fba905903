"""The replica's pages over real HTTP: frameset, welcome date, and the query form's ASP.NET markup."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import httpx


def test_frameset_holds_the_menu_and_the_welcome_page(replica) -> None:
    response = httpx.get(replica.base_url)
    assert response.status_code == 200
    assert re.search(r'<frame name="page1" id="page1" src="bsMenu.aspx"', response.text)
    assert re.search(r'<frame name="page2" id="page2" src="bsWelcome.aspx"', response.text)
    assert "ASP.NET_SessionId" in response.cookies
    assert httpx.get(replica.root_url + "/bshtm").headers["location"] == "/bshtm/"


def test_welcome_page_shows_the_trade_date_and_follows_it(replica) -> None:
    page = httpx.get(replica.base_url + "bsWelcome.aspx").text
    assert '<span id="Label_Date">2026/11/20</span>' in page
    replica.config.trade_date = replica.config.trade_date.replace(day=19)
    assert '<span id="Label_Date">2026/11/19</span>' in httpx.get(replica.base_url + "bsWelcome.aspx").text


def test_menu_carries_its_captcha_and_viewstate_as_a_scraper_reads_them(visitor) -> None:
    form = visitor.open_form()
    assert set(form.hidden) == {
        "__EVENTTARGET",
        "__EVENTARGUMENT",
        "__LASTFOCUS",
        "__VIEWSTATE",
        "__VIEWSTATEGENERATOR",
        "__EVENTVALIDATION",
    }
    assert form.hidden["__EVENTTARGET"] == form.hidden["__LASTFOCUS"] == ""
    assert form.hidden["__VIEWSTATE"].startswith("/wEP")
    assert form.hidden["__VIEWSTATEGENERATOR"] == "AA1F01CB"
    assert form.captcha_guid not in form.hidden["__VIEWSTATE"], "the guid must not travel in clear"
    assert form.error_message == "" and form.download_href is None
    first_image = re.search(r"<img src=[\"']([^\"']+)[\"']", form.html)
    assert first_image is not None and first_image.group(1) == "banner.png"


def test_menu_serves_everything_it_loads(replica, visitor) -> None:
    html = visitor.open_form().html
    loaded = [
        urljoin(replica.base_url + "bsMenu.aspx", unescape(url))
        for url in re.findall(r'<(?:script|link|img) (?:src|href)="([^"]+)"', html)
    ]
    assert len(loaded) == 6, loaded
    kinds = {}
    for url in loaded:
        response = visitor.http.get(url)
        assert response.status_code == 200 and response.content, url
        kinds[url.split("?")[0].rsplit(".", 1)[-1]] = response.headers["content-type"]
    assert kinds["png"] == "image/png" and kinds["css"].startswith("text/css")
    assert kinds["js"].startswith("application/javascript") and kinds["axd"].startswith("application/javascript")
    jquery = visitor.http.get("scripts/jquery-3.7.0.min.js").text
    assert jquery.startswith("/*! jQuery v3.7.0 | (c) OpenJS Foundation") and len(jquery) > 80_000
    assert "$.fn.autocomplete" in visitor.http.get("scripts/jquery.autocomplete.js").text
    suggestions = visitor.http.get("ACStock.aspx", params={"q": "23"})
    assert suggestions.status_code == 200 and suggestions.text == ""
    for page, title in (("use.htm", "使用條款"), ("privacy.htm", "隱私權保護說明")):
        assert title in visitor.http.get(page).text
    assert visitor.http.get("WebResource.axd", params={"d": "forged", "t": "1"}).status_code == 404
    for gone in ("images/bshtm_logo.gif", "bshtm.css"):
        assert visitor.http.get(gone).status_code == 404


def test_each_menu_has_its_own_captcha_and_viewstate(visitor) -> None:
    first, second = visitor.open_form(), visitor.open_form()
    assert first.captcha_guid != second.captcha_guid
    assert first.hidden["__VIEWSTATE"] != second.hidden["__VIEWSTATE"]
    assert first.hidden["__EVENTVALIDATION"] != second.hidden["__EVENTVALIDATION"]


def test_reset_button_redraws_an_empty_form(visitor) -> None:
    form = visitor.open_form()
    response = visitor.http.post("bsMenu.aspx", data=form.hidden | {"TextBox_Stkno": "2330", "Button_Reset": "重設"})
    assert response.status_code == 200
    assert '<span id="Label_ErrorMsg" class="radio" style="color:Chartreuse;font-size:12pt;"></span>' in response.text
    assert 'name="TextBox_Stkno" type="text" value=""' in response.text


def test_control_api_reports_stats_listings_and_trade_date(replica, visitor) -> None:
    visitor.open_form()
    api = httpx.Client(base_url=replica.root_url + "/replica/api/")
    stats = api.get("stats").json()
    assert stats["captchas_issued"] == 1 and stats["menus_served"] == 1
    assert api.post("stats/reset").json()["captchas_issued"] == 0
    listed = api.get("listings").json()
    assert len(listed) >= 1300
    by_code = {security["code"]: security for security in listed}
    assert by_code["2330"] == {
        "code": "2330",
        "name": "台積電",
        "kind": "stock",
        "listed_on": "1994-09-05",
        "delisted_on": None,
    }
    assert by_code["00878"]["kind"] == "etf" and by_code["0050"]["name"] == "元大台灣50"
    assert api.get("securities").status_code == 404, "the report site's base URL lists nothing but its pages"
    assert api.get("trade-date").json() == {"trade_date": "2026-11-20"}
    assert api.post("trade-date", json={"trade_date": "2026-11-19"}).json() == {"trade_date": "2026-11-19"}
    assert replica.config.trade_date.day == 19
    assert api.post("trade-date", json={"trade_date": "yesterday"}).status_code == 400
