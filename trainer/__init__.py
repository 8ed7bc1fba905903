"""Training, evaluation, datasets and model versions.

Turns labelled captchas (folders, synthetic, stored attempts) into solver models."""
