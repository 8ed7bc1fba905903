"""Captcha solver: image bytes in, text and confidence out.

Preprocessing, the model definition and the shipped models live here."""
