"""Placeholder until its command lands; registers nothing yet."""
