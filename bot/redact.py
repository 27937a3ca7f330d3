"""Scrubbing secrets out of error texts before they reach logs or the database.

Client libraries put tokens in URLs (`?access_token=…`) or headers, and HTTP errors repeat the URL.
"""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"(access_token=)[^&\s'\"]+", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"(\"?(?:password|token)\"?\s*[:=]\s*\"?)[^\"&\s,}]+", re.IGNORECASE),
)


def redact(text: object, limit: int = 300) -> str:
    value = str(text)
    for pattern in _PATTERNS:
        value = pattern.sub(r"\1***", value)
    return value[:limit]
