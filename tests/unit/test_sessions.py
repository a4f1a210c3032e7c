from keypool.core.sessions import (Session, cookie_name, cookie_value, csrf_token, derive_key, fingerprint,
                                   make_session, read_session, same_secret)

NOW = 1_800_000_000.0
KEY = derive_key("secret")
FP = fingerprint(KEY, "admin", "admin", "verifier", 0)


def test_a_session_carries_role_user_id_and_fingerprint_until_it_expires():
    token = make_session(KEY, "admin", "admin", FP, NOW, ttl=60)
    session = read_session(KEY, token, NOW + 59)
    assert isinstance(session, Session)
    assert (session.role, session.user, session.fingerprint, session.expires) == ("admin", "admin", FP, NOW + 60)
    assert read_session(KEY, token, NOW + 60) is None


def test_every_session_has_its_own_id():
    ids = {read_session(KEY, make_session(KEY, "admin", "admin", FP, NOW), NOW).sid for _ in range(50)}
    assert len(ids) == 50


def test_tampered_foreign_or_odd_tokens_are_refused():
    token = make_session(KEY, "admin", "admin", FP, NOW)
    payload, _, signature = token.partition(".")
    flipped = ("y" if signature[0] == "x" else "x") + signature[1:]
    assert read_session(KEY, f"{payload}.{flipped}", NOW) is None
    assert read_session(derive_key("other"), token, NOW) is None
    assert read_session(KEY, make_session(derive_key("other"), "admin", "admin", FP, NOW), NOW) is None
    for junk in ("", ".", "abc", "a.b.c", "!!!.???", "é.é", "x" * 5000, token + "é"):
        assert read_session(KEY, junk, NOW) is None


def test_the_fingerprint_follows_the_verifier_and_the_generation():
    prints = {fingerprint(KEY, "admin", "admin", v, g) for v in ("one", "two") for g in (0, 1)}
    assert len(prints) == 4
    assert fingerprint(KEY, "guest", "admin", "one", 0) != fingerprint(KEY, "admin", "admin", "one", 0)


def test_csrf_token_is_per_session():
    a, b = (make_session(KEY, "admin", "admin", FP, NOW) for _ in range(2))
    assert csrf_token(KEY, a) != csrf_token(KEY, b)
    assert csrf_token(KEY, a) == csrf_token(KEY, a)


def test_secrets_compare_in_constant_time_and_never_match_nothing():
    assert same_secret("abc", "abc") and not same_secret("abc", "abd")
    assert not same_secret("", "") and not same_secret(None, "x") and not same_secret("x", None)
    assert same_secret("ünïcode", "ünïcode") and not same_secret("\udcff", "x")


def test_cookie_names_and_parsing():
    assert cookie_name("kp_session", secure=True) == "__Host-kp_session"
    assert cookie_name("kp_session", secure=False) == "kp_session"
    assert cookie_value("a=1; kp_session=tok.sig; b=2", "kp_session") == "tok.sig"
    assert cookie_value("__Host-kp_session=x", "kp_session") is None
    assert cookie_value("kp_session=", "kp_session") is None
    assert cookie_value("", "kp_session") is None
