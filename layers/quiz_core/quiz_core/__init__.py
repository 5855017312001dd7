"""Shared code of the quiz backend, deployed as a Lambda layer.

Folders name the architecture: ``rules`` decide (pure, no I/O), ``storage`` and ``delivery``
adapt PostgreSQL, DynamoDB and the API Gateway management API, ``services`` wire one use case
each, and ``edge`` turns events into requests and results or domain errors into replies.
"""
