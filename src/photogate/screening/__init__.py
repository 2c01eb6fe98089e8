"""Screening before publication: captions (blocklist, personal data) and near-copies of images."""
