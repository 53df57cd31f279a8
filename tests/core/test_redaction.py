"""Secret-looking parameters never reach output."""

from __future__ import annotations

import json

import pytest

from syncdeck.core.redaction import (
    MASK,
    is_secret_name,
    redact_params,
    redact_text,
    secret_values,
)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("token", True),
        ("api_token", True),
        ("Password", True),
        ("client_secret", True),
        ("apiKey", True),
        ("MY_TOKEN", True),
        ("Authorization", True),
        ("tokenField", False),
        ("token_field", False),
        ("key_column", False),
        ("password_file", False),
        ("path", False),
        ("author_field", False),
        ("count", False),
    ],
)
def test_is_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_redact_params_masks_secret_names_nested_tables_and_url_passwords() -> None:
    params = {
        "url": "https://alice:s3cr3tpw@example.org/api",
        "token": "abc123456",
        "password": "",
        "headers": {"X-Api-Key": "k-999999", "Authorization": "Bearer b-1", "Accept": "json"},
        "token_field": "next",
        "count": 3,
    }
    redacted = redact_params(params)
    assert redacted == {
        "url": f"https://alice:{MASK}@example.org/api",
        "token": MASK,
        "password": "",  # nothing to hide
        "headers": {"X-Api-Key": MASK, "Authorization": MASK, "Accept": "json"},
        "token_field": "next",
        "count": 3,
    }
    assert params["token"] == "abc123456"  # the original is untouched


def test_secret_values_and_redact_text() -> None:
    params = {
        "token": "tok-123456",
        "headers": {"authorization_key": "k-999999"},
        "url": "https://bob:pw-777777@host/x",
    }
    secrets = secret_values(params)
    assert set(secrets) == {"tok-123456", "k-999999", "pw-777777"}
    text = "failed: GET https://host/x?t=tok-123456 (key k-999999)\n  token=tok-123456"
    redacted = redact_text(text, secrets)
    assert "tok-123456" not in redacted and "k-999999" not in redacted
    assert redacted.count(MASK) == 3


def test_redact_text_masks_the_longest_secret_first_and_ignores_tiny_values() -> None:
    assert redact_text("key=abcdef", ["abcd", "abcdef"]) == f"key={MASK}"
    assert redact_text("id 1 of 10", ["1"]) == "id 1 of 10"
    assert redact_text("", ["abcd"]) == ""


def test_quoted_and_escaped_forms_of_a_secret_are_masked() -> None:
    from urllib.parse import quote, quote_plus

    from syncdeck.core.redaction import redact_text

    secret = "s3cr3t/with spaces&'quotes'\n"
    text = (
        f"url {quote(secret, safe='')} plus {quote_plus(secret)} repr {secret!r} "
        f"json {json.dumps(secret)} raw {secret}"
    )
    masked = redact_text(text, [secret])
    for form in (quote(secret, safe=""), quote_plus(secret), repr(secret)[1:-1], secret):
        assert form not in masked
    assert masked.count("***") >= 5


def test_secret_looking_query_parameters_are_masked_in_any_text() -> None:
    from syncdeck.core.redaction import redact_text

    text = "GET https://api.example.com/v1/items?page=2&api_key=abc123XYZ&access_token=t0k"
    masked = redact_text(text, [])
    assert "abc123XYZ" not in masked and "t0k" not in masked
    assert "page=2" in masked and "api_key=***" in masked
