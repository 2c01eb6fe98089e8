"""Consent and erasure: signed withdrawal links, and erasing a customer's photos and details."""
