"""bsMenu.aspx against a description of the live page captured in September 2026, element for element.

The description below is what a client can depend on; any element, attribute, id or name more or less fails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from replica.captcha import ALPHABET

VOID = frozenset({"input", "img", "br", "link", "meta", "hr"})
# Tags whose every occurrence on the page must be described, in order, with all their attributes.
STRICT_TAGS = ("form", "script", "link", "img", "input", "label", "a")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
WEB_RESOURCE = re.compile(r"/bshtm/WebResource\.axd\?d=[\w-]+&t=\d+")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: tuple[int, ...]
    text: str = ""


class PageParser(HTMLParser):
    """Every element of a page with its attributes, its ancestors and its own text (unquoted attributes too)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"<{tag}> repeats an attribute: {names}"
        self.elements.append(Element(tag, {name: value or "" for name, value in attrs}, tuple(self._open)))
        if tag not in VOID:
            self._open.append(len(self.elements) - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self._open and self.elements[self._open[-1]].tag == tag, f"</{tag}> closes nothing open"
        self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.elements[self._open[-1]].text += data


@dataclass(frozen=True)
class Expected:
    """An element of the live page: its tag, all its attributes (text or pattern), its own text, and the id
    of an element it sits in."""

    tag: str
    attrs: dict[str, str | re.Pattern[str]]
    text: str | re.Pattern[str] | None = None
    inside: str | None = None

    def matches(self, element: Element, ids: dict[str, int]) -> bool:
        if element.tag != self.tag or set(element.attrs) != set(self.attrs):
            return False
        for name, wanted in self.attrs.items():
            if not _fits(wanted, element.attrs[name]):
                return False
        if self.text is not None and not _fits(self.text, element.text.strip()):
            return False
        return self.inside is None or ids.get(self.inside) in element.ancestors


def _fits(wanted: str | re.Pattern[str], actual: str) -> bool:
    return bool(wanted.fullmatch(actual)) if isinstance(wanted, re.Pattern) else wanted == actual


def _hidden(name: str, value: str | re.Pattern[str]) -> Expected:
    return Expected("input", {"type": "hidden", "name": name, "id": name, "value": value}, inside="form1")


def _submit(name: str, value: str) -> Expected:
    onclick = f'javascript:WebForm_DoPostBackWithOptions(new WebForm_PostBackOptions("{name}", "", true, "", "", false, false))'
    attrs = {"type": "submit", "name": name, "value": value, "onclick": onclick, "id": name, "class": "button2"}
    return Expected("input", attrs, inside="Panel_bshtm")


def _inline_script(pattern: str) -> Expected:
    return Expected("script", {"type": "text/javascript"}, re.compile(pattern, re.S))


def live_page(stock_code: str, message: str, report: bool) -> list[Expected]:
    """The captured page, top to bottom; `report` adds what the answer that found a report carries."""
    base64 = re.compile(r"/wE[A-Za-z0-9+/=]+")
    rec_count = r"(?P<count>\d+)"
    page2 = _inline_script(
        rf"//<!\[CDATA\[\s*top\.page2\.location\.href='bsContent\.aspx\?v=t&StkNo={stock_code}&RecCount={rec_count}'//\]\]>"
    )
    download = Expected(
        "a",
        {
            "id": "HyperLink_DownloadCSV",
            "href": re.compile(rf"bsContent\.aspx\?StkNo={stock_code}&RecCount={rec_count}"),
            "target": "_blank",
        },
        f"下載  {stock_code} CSV",
        inside="Panel_bshtm",
    )
    return [
        Expected("title", {}, "未命名頁面"),
        Expected("style", {"type": "text/css"}, re.compile(r".*\.Tse_Page_Title_Report.*\.button2.*\.radio\b.*", re.S)),
        Expected("link", {"href": "css/jquery.autocomplete.css", "rel": "stylesheet", "type": "text/css"}),
        Expected("script", {"src": "scripts/jquery-3.7.0.min.js"}, ""),
        Expected("script", {}, re.compile(r"jQuery\.browser = \{\};.*jQuery\.browser\.msie = false;.*", re.S)),
        Expected("script", {"src": "scripts/jquery.autocomplete.js", "type": "text/javascript"}, ""),
        _inline_script(r".*\$\(\"#TextBox_Stkno\"\)\.autocomplete\('ACStock\.aspx'\);.*"),
        Expected(
            "form",
            {
                "name": "form1",
                "method": "post",
                "action": "./bsMenu.aspx",
                "onkeypress": "javascript:return WebForm_FireDefaultButton(event, 'btnOK')",
                "id": "form1",
            },
        ),
        _hidden("__EVENTTARGET", ""),
        _hidden("__EVENTARGUMENT", ""),
        _hidden("__LASTFOCUS", ""),
        _hidden("__VIEWSTATE", base64),
        _inline_script(
            r"//<!\[CDATA\[\s*var theForm = document\.forms\['form1'\];.*function __doPostBack\(eventTarget, eventArgument\).*//\]\]>"
        ),
        Expected("script", {"src": WEB_RESOURCE, "type": "text/javascript"}, ""),
        *([page2] if report else []),
        Expected("script", {"src": WEB_RESOURCE, "type": "text/javascript"}, ""),
        _hidden("__VIEWSTATEGENERATOR", "AA1F01CB"),
        _hidden("__EVENTVALIDATION", base64),
        Expected("img", {"src": "banner.png", "width": "100%"}),
        Expected("td", {"class": "Tse_Page_Title_Report"}),
        Expected("nobr", {}, "<<買賣日報表查詢系統>>"),
        Expected(
            "input",
            {
                "id": "RadioButton_Normal",
                "type": "radio",
                "name": "RadioButton_Normal",
                "value": "RadioButton_Normal",
                "checked": "checked",
            },
            inside="form1",
        ),
        Expected("label", {"for": "RadioButton_Normal"}, "一般交易"),
        Expected(
            "input",
            {
                "id": "RadioButton_Excd",
                "type": "radio",
                "name": "RadioButton_Excd",
                "value": "RadioButton_Excd",
                "onclick": "javascript:setTimeout('__doPostBack(\\'RadioButton_Excd\\',\\'\\')', 0)",
            },
            inside="form1",
        ),
        Expected("label", {"for": "RadioButton_Excd"}, "鉅額交易"),
        Expected("span", {"id": "Label_Stkno", "class": "radioT", "style": re.compile(r"color:\S+;")}, "證券代號:"),
        Expected(
            "input",
            {
                "name": "TextBox_Stkno",
                "type": "text",
                "value": stock_code,
                "maxlength": "6",
                "id": "TextBox_Stkno",
                "onkeyup": "this.value=this.value.replace(/[^u4e00-u9fa5w]/g,'')",
                "style": "height:20px;width:65px;",
            },
            inside="form1",
        ),
        Expected("div", {"id": "Panel_bshtm"}, inside="form1"),
        Expected(
            "img",
            {"src": re.compile(rf"CaptchaImage\.aspx\?guid={UUID}"), "border": "0", "width": "200", "height": "60"},
            inside="Panel_bshtm",
        ),
        Expected(
            "input",
            {
                "name": "CaptchaControl1",
                "type": "text",
                "size": "5",
                "maxlength": "5",
                "autocomplete": "Off",
                "value": "",
            },
            inside="Panel_bshtm",
        ),
        Expected(
            "span",
            {"id": "Label_ErrorMsg", "class": "radio", "style": "color:Chartreuse;font-size:12pt;"},
            message,
            inside="Panel_bshtm",
        ),
        _submit("btnOK", "查詢"),
        _submit("Button_Reset", "重設"),
        *([download] if report else []),
        Expected(
            "div",
            {"style": "text-align: left; font-family: 標楷體; color: yellow; font-size: 12pt"},
            re.compile(r"此資料不得逕自.*", re.S),
        ),
        Expected(
            "a",
            {
                "href": "#",
                "style": "font-family: 標楷體; font-size: 12pt;",
                "onclick": "window.open('use.htm',null,'scrollbars=yes,width=516,height=500')",
            },
            "使用條款",
        ),
        Expected(
            "a",
            {
                "href": "#",
                "style": "font-family: 標楷體; font-size: 12pt;",
                "onclick": "window.open('privacy.htm','null','scrollbars=yes,width=516,height=500')",
            },
            "隱私權保護說明",
        ),
        *(
            Expected("span", {"id": name, "name": name, "style": "display: none;"}, "", inside="form1")
            for name in ("sp_Files", "spLog", "sp_DropDownList")
        ),
        _inline_script(r"//<!\[CDATA\[\s*WebForm_AutoFocus\('txtTASKNO'\);//\]\]>"),
    ]


IDS = {
    "form1",
    "__EVENTTARGET",
    "__EVENTARGUMENT",
    "__LASTFOCUS",
    "__VIEWSTATE",
    "__VIEWSTATEGENERATOR",
    "__EVENTVALIDATION",
    "RadioButton_Normal",
    "RadioButton_Excd",
    "Label_Stkno",
    "TextBox_Stkno",
    "Panel_bshtm",
    "Label_ErrorMsg",
    "btnOK",
    "Button_Reset",
    "sp_Files",
    "spLog",
    "sp_DropDownList",
}
NAMES = {
    "form1",
    "__EVENTTARGET",
    "__EVENTARGUMENT",
    "__LASTFOCUS",
    "__VIEWSTATE",
    "__VIEWSTATEGENERATOR",
    "__EVENTVALIDATION",
    "RadioButton_Normal",
    "RadioButton_Excd",
    "TextBox_Stkno",
    "CaptchaControl1",
    "btnOK",
    "Button_Reset",
    "sp_Files",
    "spLog",
    "sp_DropDownList",
}
# The captcha block, character for character as the live page has it.
CAPTCHA_BLOCK = re.compile(
    r"<div style='color:White;font-family:標楷體;'><div style='text-align:center;margin:5px;'>"
    rf"<img src='CaptchaImage\.aspx\?guid={UUID}' border='0' width=200 height=60></div>"
    r"<div style='text-align:left;'>輸入圖形中5碼文數字:&nbsp;&nbsp;"
    r"<input name=CaptchaControl1 type=text size=5 maxlength=5 AutoComplete='Off'  value=''></div></div>"
)
# What older renderings had and the live page does not.
ABSENT = ("<!DOCTYPE", "aspNetHidden", "bshtm_logo", "bshtm.css", 'id="CaptchaControl1"', "id=CaptchaControl1")


def check_live_markup(html: str, stock_code: str, message: str, report: bool) -> None:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    elements = parser.elements
    ids = {element.attrs["id"]: index for index, element in enumerate(elements) if "id" in element.attrs}
    expected = live_page(stock_code, message, report)

    position = 0
    for wanted in expected:
        found = next((index for index in range(position, len(elements)) if wanted.matches(elements[index], ids)), None)
        assert found is not None, f"missing, or out of order, or with other attributes: {wanted}"
        position = found + 1

    for tag in STRICT_TAGS:
        on_page = [element for element in elements if element.tag == tag]
        described = [wanted for wanted in expected if wanted.tag == tag]
        assert len(on_page) == len(described), f"<{tag}>: {len(on_page)} on the page, {len(described)} described"
        for element, wanted in zip(on_page, described, strict=True):
            assert wanted.matches(element, ids), f"{element} is not {wanted}"

    all_ids = [element.attrs["id"] for element in elements if "id" in element.attrs]
    assert len(all_ids) == len(set(all_ids)), "an id appears twice"
    assert set(all_ids) == IDS | ({"HyperLink_DownloadCSV"} if report else set())
    assert {element.attrs["name"] for element in elements if "name" in element.attrs} == NAMES

    # The hidden fields sit in two plain <div>s of the form: four at the top, two at the bottom.
    hidden = [element for element in elements if element.attrs.get("type") == "hidden"]
    top, bottom = {element.ancestors[-1] for element in hidden[:4]}, {element.ancestors[-1] for element in hidden[4:]}
    assert len(top) == len(bottom) == 1 and top != bottom
    for holder in (*top, *bottom):
        assert elements[holder].tag == "div" and elements[holder].attrs == {}
        assert elements[holder].ancestors[-1] == ids["form1"]

    assert len(CAPTCHA_BLOCK.findall(html)) == 1
    for absent in ABSENT:
        assert absent not in html, absent
    if report:
        script = re.search(r"RecCount=(\d+)'", html).group(1)
        link = re.search(r'<a id="HyperLink_DownloadCSV" href="bsContent\.aspx\?StkNo=\w+&amp;RecCount=(\d+)"', html)
        assert link is not None and link.group(1) == script, "the script and the link carry the same RecCount"


def test_get_page_is_the_live_page(visitor) -> None:
    check_live_markup(visitor.open_form().html, "", "", report=False)


def test_answer_with_a_report_is_the_live_page(visitor) -> None:
    check_live_markup(visitor.solve(visitor.open_form(), "2330").html, "2330", "", report=True)


def _wrong(replica, form) -> str:
    answer = replica.captcha_answer(form.captcha_guid)
    return "".join(ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)] for char in answer)


@pytest.mark.parametrize(
    ("case", "message"), [("wrong", "驗證碼錯誤!"), ("expired", "驗證碼已逾期!"), ("no data", "查無資料")]
)
def test_error_answers_are_the_live_page(replica, visitor, case: str, message: str) -> None:
    form = visitor.open_form()
    if case == "wrong":
        answer_page = visitor.submit(form, "2330", _wrong(replica, form))
    elif case == "expired":
        visitor.solve(form, "2330")
        answer_page = visitor.submit(form, "2330", "ACDEF")
    else:
        answer_page = visitor.solve(form, "9998")
    assert answer_page.error_message == message
    check_live_markup(answer_page.html, "9998" if case == "no data" else "2330", message, report=False)


def test_the_check_fails_on_any_difference(visitor) -> None:
    html = visitor.solve(visitor.open_form(), "2330").html
    for original, changed in (
        ("<input name=CaptchaControl1 type=text", "<input name=CaptchaControl1 id=CaptchaControl1 type=text"),
        ('target="_blank"', 'target="_self"'),
        ('maxlength="6"', 'maxlength="8"'),
        ('<img src="banner.png" width="100%" />', ""),
        ("WebForm_AutoFocus('txtTASKNO');", ""),
        ('name="RadioButton_Excd"', 'name="RadioButton_Normal"'),
        ('<span id="spLog" name="spLog"', '<span id="spLog2" name="spLog"'),
    ):
        assert original in html, original
        with pytest.raises(AssertionError):
            check_live_markup(html.replace(original, changed, 1), "2330", "", report=True)
