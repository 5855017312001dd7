"""Helpers shared by the test tiers: the template, recorded events and fake AWS endpoints."""
