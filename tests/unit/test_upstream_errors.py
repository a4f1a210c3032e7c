import json

import pytest

from keypool.core.upstream_errors import classify, seconds_until_beijing_midnight, unreachable

NOW = 1_800_000_000.0


def body(code, message):
    return json.dumps({"code": code, "message": message, "data": None}).encode()


def test_401_bare_string_marks_invalid_and_retries():
    outcome = classify(401, b'"Api key is invalid"', None, NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("invalid", True, "invalid")
    assert outcome.message == "Api key is invalid"


@pytest.mark.parametrize("status", [402, 403])
def test_insufficient_balance_marks_exhausted(status):
    outcome = classify(status, body(30001, "Sorry, your account balance is insufficient"), None, NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("exhausted", True, "exhausted")
    assert outcome.block_s > 0


def test_other_403_blocks_the_model_but_keeps_the_key():
    outcome = classify(403, body(30011, "real-name verification required"), None, NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("forbidden", True, None)
    assert outcome.block_s >= 3600


def test_unknown_model_is_the_clients_problem():
    outcome = classify(400, body(20012, "Model does not exist. Please check it carefully."), None, NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("client_error", False, None)


def test_429_honours_retry_after_and_never_invalidates():
    outcome = classify(429, body(50602, "TPM limit reached"), "17", NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("rate_limited", True, None)
    assert outcome.block_s == 17


@pytest.mark.parametrize("message, low, high", [
    ("TPM limit reached", 60, 60), ("RPM limit reached", 60, 60), ("RPH limit reached", 3600, 3600),
    ("RPD limit reached", 60, 86400),
])
def test_429_cooldown_by_limit_kind(message, low, high):
    assert low <= classify(429, body(50602, message), None, NOW).block_s <= high


def test_daily_limit_lasts_until_beijing_midnight():
    # 2027-01-15 23:00 in Beijing is 15:00 UTC
    from datetime import datetime, timezone
    at = datetime(2027, 1, 15, 15, 0, tzinfo=timezone.utc).timestamp()
    assert seconds_until_beijing_midnight(at) == 3600


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retries_with_a_short_pause(status):
    outcome = classify(status, body(50505, "Model service overloaded"), None, NOW)
    assert (outcome.error_class, outcome.retry, outcome.key_status) == ("upstream_error", True, None)
    assert outcome.block_s <= 10


def test_unreachable_retries():
    outcome = unreachable("connect refused")
    assert outcome.retry and outcome.key_status is None


def test_openai_shaped_and_garbage_bodies():
    assert classify(403, b'{"error": {"code": "30001", "message": "x"}}', None, NOW).error_class == "exhausted"
    assert classify(500, b"<html>oops</html>", None, NOW).message.startswith("<html>")


@pytest.mark.parametrize("header, expected", [
    ("30", 30.0), ("0", 1.0), ("-5", 1.0), ("1e30", 24 * 3600.0), (" 7 ", 7.0),
    ("nan", None), ("inf", None), ("-inf", None), ("NaN", None), ("soon", None), ("", None), (None, None),
])
def test_retry_after_is_always_a_sane_number_or_nothing(header, expected):
    from keypool.core.upstream_errors import retry_after_s
    assert retry_after_s(header, NOW) == expected


def test_retry_after_as_an_http_date():
    from email.utils import formatdate

    from keypool.core.upstream_errors import retry_after_s
    assert retry_after_s(formatdate(NOW + 120, usegmt=True), NOW) == pytest.approx(120, abs=1)
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", NOW) == 1.0  # in the past


def test_a_429_with_a_nonsense_retry_after_falls_back_to_the_message():
    outcome = classify(429, body(50602, "Request was rejected due to rate limiting. Details: TPM limit reached."),
                       "nan", NOW)
    assert outcome.block_s == 60


def test_failures_about_the_key_are_told_from_transient_ones():
    assert classify(401, b'"Api key is invalid"', None, NOW).about_the_key
    assert classify(403, body(30001, "insufficient"), None, NOW).about_the_key
    assert classify(403, body(30011, "paid only"), None, NOW).about_the_key
    assert not classify(429, body(50602, "TPM limit reached"), None, NOW).about_the_key
    assert not classify(503, body(50505, "overloaded"), None, NOW).about_the_key
    assert not unreachable("timed out").about_the_key
