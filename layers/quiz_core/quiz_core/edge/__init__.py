"""Where events become typed requests and results or errors become replies.

This is the only place that maps domain errors to HTTP statuses and WebSocket messages.
"""
