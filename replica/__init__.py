"""A faithful replica of bsr.twse.com.tw/bshtm that runs on loopback.

Pages, captcha renderer, market data and fault knobs for development and tests."""
