"""core/balance.py: what user/info and models answers mean, and the row that follows."""

import json

import pytest

from keypool.core.balance import (ERROR, EXHAUSTED, GONE, INVALID, RATE_LIMITED, RETRY, VALID, Verdict,
                                  parse_amount, plan_update, read_models, read_user_info, utc_day)


def user_info(total="10.0", gift="10.0", charge="0", **extra) -> bytes:
    data = {"id": "u1", "name": "n", "balance": gift, "chargeBalance": charge, "totalBalance": total,
            "status": "normal", **extra}
    return json.dumps({"code": 20000, "message": "OK", "status": True, "data": data}).encode()


def row(status="unchecked", balance=None, gift=None, charge=None, error=None, id=7):
    return {"id": id, "status": status, "balance": balance, "gift_balance": gift, "charge_balance": charge,
            "last_error": error}


@pytest.mark.parametrize("text, expected", [
    ("13.9876", 13.9876), ("0", 0.0), ("-0.0123", -0.0123), (" 14 ", 14.0), (12, 12.0), (1.5, 1.5),
    ("abc", None), ("", None), (None, None), (True, None), ("NaN", None), ("Infinity", None),
    ("1e400", None), ([], None),
])
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


def test_a_positive_total_balance_is_valid_and_every_balance_is_kept_exactly():
    verdict = read_user_info(200, user_info(total="13.9876", gift="1.2345", charge="12.7531"))
    assert verdict == Verdict(VALID, balance=13.9876, gift_balance=1.2345, charge_balance=12.7531)


@pytest.mark.parametrize("total", ["0", "0.00", "-0.01", "-3"])
def test_zero_or_slightly_negative_total_is_exhausted(total):
    verdict = read_user_info(200, user_info(total=total))
    assert verdict.kind == EXHAUSTED and verdict.balance == float(total)


def test_total_is_summed_from_its_parts_when_missing():
    body = json.dumps({"data": {"balance": "1.1", "chargeBalance": "2.2"}}).encode()
    assert read_user_info(200, body).balance == 3.3


@pytest.mark.parametrize("body", [
    b'12.5',                                        # a bare number is never a balance
    b'{"code": 20000, "data": null}',
    b'{"data": {"totalBalance": "lots"}}',
    b'"Api key is invalid"',
])
def test_a_200_without_readable_account_data_is_an_error(body):
    assert read_user_info(200, body).kind == ERROR


def test_a_200_that_is_not_json_is_retried():
    assert read_user_info(200, b"<html>gateway</html>").kind == RETRY


@pytest.mark.parametrize("read", [read_user_info, read_models])
def test_401_is_invalid(read):
    verdict = read(401, b'"Api key is invalid"')
    assert (verdict.kind, verdict.message) == (INVALID, "Api key is invalid")


@pytest.mark.parametrize("status", [404, 410])
def test_a_retired_user_info_is_gone_never_invalid(status):
    assert read_user_info(status, b'{"code":41000,"message":"This API is no longer available."}').kind == GONE


@pytest.mark.parametrize("read", [read_user_info, read_models])
def test_429_asks_to_slow_down_with_retry_after(read):
    verdict = read(429, b'{"code":50601,"message":"RPM limit reached."}', "3")
    assert (verdict.kind, verdict.retry_after) == (RATE_LIMITED, 3.0)
    assert read(429, b"", "Wed, 21 Oct 2015 07:28:00 GMT").retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
@pytest.mark.parametrize("read", [read_user_info, read_models])
def test_upstream_trouble_is_retried_never_invalid(read, status):
    assert read(status, b'{"code":50505,"message":"overloaded"}').kind == RETRY


@pytest.mark.parametrize("status, body", [(402, b'{"code":30001,"message":"insufficient"}'),
                                          (403, b'{"code":30001,"message":"insufficient"}')])
def test_insufficient_balance_answers_are_exhausted(status, body):
    assert read_user_info(status, body).kind == EXHAUSTED
    assert read_models(status, body).kind == EXHAUSTED


def test_other_client_errors_decide_nothing():
    assert read_user_info(403, b'{"code":30005,"message":"real name"}').kind == ERROR
    assert read_models(404, b"").kind == ERROR


def test_models_200_is_valid_with_unknown_balance():
    assert read_models(200, b'{"object":"list","data":[]}') == Verdict(VALID)


# --- plan_update --------------------------------------------------------------

def test_a_first_check_changes_the_row_and_records_history():
    update = plan_update(row(), read_user_info(200, user_info(total="13.9876", gift="13.9876")))
    assert (update.status, update.balance, update.charge_balance, update.last_error) == ("valid", 13.9876, 0.0, None)
    assert update.changed and update.balance_changed and update.outcome == VALID


def test_the_same_answer_twice_changes_nothing():
    verdict = read_user_info(200, user_info(total="5.5", gift="5.5"))
    update = plan_update(row("valid", 5.5, 5.5, 0.0), verdict)
    assert not update.changed and not update.balance_changed


def test_credit_back_clears_a_stale_exhausted():
    update = plan_update(row("exhausted", 0.0, 0.0, 0.0, error="insufficient"), read_user_info(200, user_info("2")))
    assert (update.status, update.last_error, update.changed) == ("valid", None, True)


def test_models_cannot_clear_exhausted_and_makes_the_balance_unknown():
    update = plan_update(row("exhausted", -0.01, -0.01, 0.0), read_models(200, b"{}"))
    assert (update.status, update.balance, update.gift_balance, update.changed) == ("exhausted", None, None, True)
    assert not update.balance_changed  # unknown is no balance to record
    fresh = plan_update(row("unchecked"), read_models(200, b"{}"))
    assert (fresh.status, fresh.balance, fresh.outcome) == ("valid", None, VALID)


def test_invalid_keeps_the_last_known_balance():
    update = plan_update(row("valid", 3.0, 3.0, 0.0), read_user_info(401, b'"Api key is invalid"'))
    assert (update.status, update.balance, update.last_error) == ("invalid", 3.0, "Api key is invalid")


def test_an_error_leaves_the_status_and_says_why():
    update = plan_update(row("valid", 3.0, 3.0, 0.0), Verdict(ERROR, message="user/info answered 500 (tried 3 times)"))
    assert (update.status, update.balance, update.outcome) == ("valid", 3.0, ERROR)
    assert update.changed and "500" in update.last_error
    again = plan_update(row("valid", 3.0, 3.0, 0.0, error=update.last_error), Verdict(ERROR, message=update.last_error))
    assert not again.changed


def test_utc_day():
    assert utc_day(0) == "1970-01-01"
    assert utc_day(86400 * 365 - 1) == "1970-12-31"
