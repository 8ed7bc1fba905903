"""The one classifier of the site's HTTP answers, and the error each kind calls for."""

from __future__ import annotations

import pytest

from bot.errors import BlockedError, ThrottledError, TransientSiteError
from bot.query import SiteAnswer, check_answer, classify_answer

# SITE.md: the firewall's block page as captured on other TWSE hosts in 2026 (HTTP 200, under 1 KB).
BLOCK_PAGE = "因為安全性考量，您所執行的頁面無法呈現。<BR>FOR SECURITY REASONS, THIS PAGE CAN NOT BE ACCESSED.<BR>"
FORM = b"<html><body><form id='form1'>...</form></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "whole", "kind"),
    [
        (200, FORM, True, SiteAnswer.EXPECTED),
        (None, b"", True, SiteAnswer.UNANSWERED),
        (403, b"", True, SiteAnswer.FORBIDDEN),
        (200, BLOCK_PAGE.encode(), True, SiteAnswer.BLOCKED),
        (200, BLOCK_PAGE, True, SiteAnswer.BLOCKED),  # the report view's text, read in the browser
        (500, BLOCK_PAGE.encode(), True, SiteAnswer.BLOCKED),
        (500, b"Server Error", True, SiteAnswer.SERVER_ERROR),
        (200, b"<html>", False, SiteAnswer.BLANK),
        (404, b"<html>not found</html>", False, SiteAnswer.BLANK),
    ],
)
def test_each_answer_is_told_by_its_status_and_body(status, body, whole, kind) -> None:
    assert classify_answer(status, body, whole) is kind


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (SiteAnswer.UNANSWERED, TransientSiteError),
        (SiteAnswer.FORBIDDEN, ThrottledError),
        (SiteAnswer.BLOCKED, BlockedError),
        (SiteAnswer.SERVER_ERROR, TransientSiteError),
        (SiteAnswer.BLANK, ThrottledError),
        (SiteAnswer.SILENT, ThrottledError),
    ],
)
def test_each_kind_raises_the_error_the_job_acts_on(kind, error) -> None:
    with pytest.raises(error):
        check_answer(kind, "the form", "http://127.0.0.1/bshtm/bsMenu.aspx", 200)


def test_an_expected_answer_raises_nothing_and_a_blank_captcha_is_load() -> None:
    check_answer(SiteAnswer.EXPECTED, "the form", "http://127.0.0.1/bshtm/bsMenu.aspx", 200)
    with pytest.raises(TransientSiteError, match="site busy"):
        check_answer(SiteAnswer.BLANK, "the captcha", "http://127.0.0.1/bshtm/CaptchaImage.aspx", 200, False)
