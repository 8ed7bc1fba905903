"""A real Chromium through Playwright on the replica: frameset, captcha, a right and a wrong answer, the CSV."""

from __future__ import annotations

import re

from playwright.async_api import Browser


async def test_chromium_solves_and_misses_a_captcha_in_the_frameset(replica, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(replica.base_url)
    welcome = page.frame(name="page2")
    assert await welcome.locator("#Label_Date").inner_text() == "2026/11/20"
    menu = page.frame(name="page1")
    captcha = menu.locator("#Panel_bshtm img")
    await captcha.wait_for()
    assert await captcha.evaluate("img => img.complete && img.naturalWidth") == 200
    assert (await captcha.screenshot())[:4] == b"\x89PNG"
    guid = re.search(r"guid=([0-9a-f-]+)", await captcha.get_attribute("src")).group(1)

    await menu.fill("#TextBox_Stkno", "2330")
    await menu.fill("#CaptchaControl1", replica.captcha_answer(guid).lower())
    async with menu.expect_navigation():
        await menu.click("#btnOK")
    assert await menu.locator("#Label_ErrorMsg").inner_text() == ""
    href = await menu.locator("#HyperLink_DownloadCSV").get_attribute("href")
    assert re.fullmatch(r"bsContent\.aspx\?StkNo=2330&RecCount=\d+", href)
    report = await page.context.request.get(replica.base_url + href)
    assert (await report.body()).decode("utf-8-sig").split("\r\n")[1] == '股票代碼,="2330"'

    guid = re.search(r"guid=([0-9a-f-]+)", await captcha.get_attribute("src")).group(1)
    right = replica.captcha_answer(guid)
    await menu.fill("#CaptchaControl1", "AAAAA" if right != "AAAAA" else "CCCCC")
    async with menu.expect_navigation():
        await menu.click("#btnOK")
    assert await menu.locator("#Label_ErrorMsg").inner_text() == "驗證碼錯誤!"
    assert await menu.locator("#HyperLink_DownloadCSV").count() == 0
    assert replica.stats()["answers_right"] == 1 and replica.stats()["answers_wrong"] == 1
