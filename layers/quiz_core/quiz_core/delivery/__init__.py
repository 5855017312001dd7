"""Adapters that push to players: the API Gateway management API and async invocations."""
