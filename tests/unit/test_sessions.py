from keypool.core.sessions import (cookie_value, csrf_token, make_session, session_user, signing_key)

NOW = 1_800_000_000.0
KEY = signing_key("secret", "pw")


def test_a_session_names_its_user_until_it_expires():
    token = make_session(KEY, "admin", NOW, ttl=60)
    assert session_user(KEY, token, NOW + 59) == "admin"
    assert session_user(KEY, token, NOW + 60) is None


def test_tampered_or_foreign_tokens_are_refused():
    token = make_session(KEY, "admin", NOW)
    payload, _, signature = token.partition(".")
    flipped = ("y" if signature[0] == "x" else "x") + signature[1:]
    assert session_user(KEY, f"{payload}.{flipped}", NOW) is None
    assert session_user(signing_key("other", "pw"), token, NOW) is None
    forged = make_session(signing_key("other", "pw"), "admin", NOW)
    assert session_user(KEY, forged, NOW) is None
    for junk in ("", ".", "abc", "a.b.c", "!!!.???"):
        assert session_user(KEY, junk, NOW) is None


def test_without_a_session_secret_a_new_password_ends_sessions():
    token = make_session(signing_key(None, "old"), "admin", NOW)
    assert session_user(signing_key(None, "old"), token, NOW) == "admin"
    assert session_user(signing_key(None, "new"), token, NOW) is None


def test_csrf_token_is_per_session():
    a, b = make_session(KEY, "admin", NOW), make_session(KEY, "admin", NOW)
    assert csrf_token(KEY, a) != csrf_token(KEY, b)
    assert csrf_token(KEY, a) == csrf_token(KEY, a)


def test_cookie_parsing():
    assert cookie_value("a=1; kp_session=tok.sig; b=2") == "tok.sig"
    assert cookie_value("kp_session=") is None
    assert cookie_value("") is None
