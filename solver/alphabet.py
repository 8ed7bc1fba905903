"""What a captcha's text is made of: the site's alphabet and length, which the model's classes follow.

Light to import (no TensorFlow), so that whoever checks a label against it need not load a model."""

from __future__ import annotations

# SITE.md, "The captcha": five characters drawn from 27 (no 0 1 5 B I M O S W).
ALPHABET = "ACDEFGHJKLNPQRTUVXYZ2346789"
TEXT_LENGTH = 5
