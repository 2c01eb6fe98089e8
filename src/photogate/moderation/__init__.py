"""Moderation: people review, reject and take down photos; every decision goes in the audit."""
