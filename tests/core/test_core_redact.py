from bot.redact import redact


def test_tokens_in_urls_headers_and_json_are_scrubbed() -> None:
    text = ("400 https://hs/_matrix/client/v3/sync?since=s1&access_token=syt_secret123&timeout=0 "
            'Authorization: Bearer abc.DEF-123 {"password": "hunter2"}')
    cleaned = redact(text)
    for secret in ("syt_secret123", "abc.DEF-123", "hunter2"):
        assert secret not in cleaned
    assert "since=s1" in cleaned and "timeout=0" in cleaned
