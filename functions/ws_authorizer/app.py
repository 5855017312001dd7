"""$connect REQUEST authorizer: admits a connection whose ?token= is valid.

The token's user becomes the connection's user (``requestContext.authorizer.user_id``), so
no later message can act for anyone else.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from quiz_core.config import TokenConfig
from quiz_core.errors import QuizError
from quiz_core.security.signing_secret import signing_secret
from quiz_core.services.accounts import claims_of

logger = Logger()
config = TokenConfig.from_environ(os.environ)


def policy(effect: str, resource: str, principal: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = str((event.get("queryStringParameters") or {}).get("token") or "")
    try:
        claims = claims_of(token, signing_secret(config.secret_id), int(time.time()))
    except QuizError as exc:
        logger.info("connection denied", extra={"code": exc.code})
        return policy("Deny", event["methodArn"], "anonymous")

    logger.info("connection authorized", extra={"user_id": claims.user_id})
    return {
        **policy("Allow", event["methodArn"], claims.user_id),
        "context": {"user_id": claims.user_id},
    }
