"""Adapters: one implementation of a port per technology."""
