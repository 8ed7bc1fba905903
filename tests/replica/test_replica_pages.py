"""The replica's pages over real HTTP: frameset, welcome date, and the query form's ASP.NET markup."""

from __future__ import annotations

import re

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


def test_menu_has_the_sites_fields_ids_and_captcha_block(visitor) -> None:
    form = visitor.open_form()
    html = form.html
    assert '<form name="form1" method="post" action="./bsMenu.aspx" id="form1">' in html
    assert set(form.hidden) == {
        "__EVENTTARGET", "__EVENTARGUMENT", "__LASTFOCUS", "__VIEWSTATE", "__VIEWSTATEGENERATOR", "__EVENTVALIDATION"
    }
    assert form.hidden["__EVENTTARGET"] == form.hidden["__LASTFOCUS"] == ""
    assert form.hidden["__VIEWSTATE"].startswith("/wE")
    assert form.captcha_guid not in form.hidden["__VIEWSTATE"], "the guid must not travel in clear"
    assert 'id="RadioButton_Normal" type="radio" name="RadioButton_Normal" value="RadioButton_Normal" checked' in html
    assert 'id="RadioButton_Excd" type="radio" name="RadioButton_Normal" value="RadioButton_Excd"' in html
    assert 'name="TextBox_Stkno"' in html and 'id="TextBox_Stkno"' in html
    panel = html[html.index('<div id="Panel_bshtm">') :]
    assert f"<img src=\"CaptchaImage.aspx?guid={form.captcha_guid}\" border='0' width=200 height=60>" in panel
    assert '<input name="CaptchaControl1" id="CaptchaControl1" type="text"' in panel
    assert '<input type="submit" name="btnOK" value="查詢" id="btnOK" />' in html
    assert 'name="Button_Reset"' in html
    assert form.error_message == "" and form.download_href is None
    first_image = re.search(r'<img src="([^"]+)"', html)
    assert first_image is not None and "CaptchaImage" not in first_image.group(1)
    logo = visitor.http.get(first_image.group(1))
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/gif"


def test_each_menu_has_its_own_captcha_and_viewstate(visitor) -> None:
    first, second = visitor.open_form(), visitor.open_form()
    assert first.captcha_guid != second.captcha_guid
    assert first.hidden["__VIEWSTATE"] != second.hidden["__VIEWSTATE"]
    assert first.hidden["__EVENTVALIDATION"] != second.hidden["__EVENTVALIDATION"]


def test_reset_button_redraws_an_empty_form(visitor) -> None:
    form = visitor.open_form()
    response = visitor.http.post("bsMenu.aspx", data=form.hidden | {"TextBox_Stkno": "2330", "Button_Reset": "重新輸入"})
    assert response.status_code == 200
    assert 'id="Label_ErrorMsg" style="color:Red;"></span>' in response.text
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
        "code": "2330", "name": "台積電", "kind": "stock", "listed_on": "1994-09-05", "delisted_on": None
    }
    assert by_code["00878"]["kind"] == "etf" and by_code["0050"]["name"] == "元大台灣50"
    assert api.get("securities").status_code == 404, "the report site's base URL lists nothing but its pages"
    assert api.get("trade-date").json() == {"trade_date": "2026-11-20"}
    assert api.post("trade-date", json={"trade_date": "2026-11-19"}).json() == {"trade_date": "2026-11-19"}
    assert replica.config.trade_date.day == 19
    assert api.post("trade-date", json={"trade_date": "yesterday"}).status_code == 400
