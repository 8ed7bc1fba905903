"""A real Chromium through Playwright on the replica: frameset, captcha, a right and a wrong answer, the CSV,
and a page that runs its scripts without an error."""

from __future__ import annotations

import re

from playwright.async_api import Browser, ConsoleMessage, Response

CAPTCHA_INPUT = "input[name=CaptchaControl1]"


async def test_chromium_solves_and_misses_a_captcha_in_the_frameset(replica, browser: Browser) -> None:
    page = await browser.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico on its own; whether the live site has one is not known.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location['url']}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    await page.goto(replica.base_url)
    welcome = page.frame(name="page2")
    assert await welcome.locator("#Label_Date").inner_text() == "2026/11/20"
    menu = page.frame(name="page1")
    await menu.wait_for_load_state("load")
    assert await menu.evaluate("typeof jQuery.fn.autocomplete") == "function"
    assert await menu.evaluate("jQuery.fn.jquery") == "3.7.0"
    captcha = menu.locator("#Panel_bshtm img")
    await captcha.wait_for()
    assert await captcha.evaluate("img => img.complete && img.naturalWidth") == 200
    assert (await captcha.screenshot())[:4] == b"\x89PNG"
    guid = re.search(r"guid=([0-9a-f-]+)", await captcha.get_attribute("src")).group(1)

    await menu.fill("#TextBox_Stkno", "2330")
    await menu.fill(CAPTCHA_INPUT, replica.captcha_answer(guid).lower())
    async with menu.expect_navigation():
        await menu.click("#btnOK")
    assert await menu.locator("#Label_ErrorMsg").inner_text() == ""
    href = await menu.locator("#HyperLink_DownloadCSV").get_attribute("href")
    assert re.fullmatch(r"bsContent\.aspx\?StkNo=2330&RecCount=\d+", href)
    # The answer's own script sends frame page2 to the report's HTML view.
    report_view = page.frame(name="page2")
    await report_view.wait_for_url(re.compile(r"bsContent\.aspx\?v=t&StkNo=2330&RecCount=\d+$"))
    assert await report_view.locator("#stock_id").inner_text() == "2330\u00a0台積電"
    report = await page.context.request.get(replica.base_url + href)
    assert (await report.body()).decode("utf-8-sig").split("\r\n")[1] == '股票代碼,="2330"'

    # Enter in the form clicks btnOK, as WebForm_FireDefaultButton does on the live page.
    guid = re.search(r"guid=([0-9a-f-]+)", await captcha.get_attribute("src")).group(1)
    right = replica.captcha_answer(guid)
    await menu.fill(CAPTCHA_INPUT, "AAAAA" if right != "AAAAA" else "CCCCC")
    async with menu.expect_navigation():
        await menu.press(CAPTCHA_INPUT, "Enter")
    assert await menu.locator("#Label_ErrorMsg").inner_text() == "驗證碼錯誤!"
    assert await menu.locator("#HyperLink_DownloadCSV").count() == 0
    assert replica.stats()["answers_right"] == 1 and replica.stats()["answers_wrong"] == 1
    assert failed == []
    assert errors == []
