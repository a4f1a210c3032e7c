import hashlib

from keypool.core.passwords import ITERATIONS, Verifier, decode, generate_password, new_salt, weakness


def test_a_verifier_round_trips_through_its_text_and_matches_only_its_password():
    salt = new_salt()
    verifier = Verifier(ITERATIONS, salt, hashlib.pbkdf2_hmac("sha256", b"right horse", salt, ITERATIONS))
    text = verifier.encode()
    assert text.startswith("pbkdf2_sha256$100000$") and "right horse" not in text
    back = decode(text)
    assert back == verifier
    assert back.matches(hashlib.pbkdf2_hmac("sha256", b"right horse", salt, ITERATIONS))
    assert not back.matches(hashlib.pbkdf2_hmac("sha256", b"wrong horse", salt, ITERATIONS))


def test_what_is_not_a_verifier_decodes_to_none():
    good = Verifier(1000, b"s" * 16, b"d" * 32).encode()
    assert decode(good) is not None
    for bad in ("", "plain", good.replace("pbkdf2_sha256", "md5"), good.replace("$1000$", "$1000000$"),
                good.replace("$1000$", "$0$"), good[:-4], "pbkdf2_sha256$x$y$z", None):
        assert decode(bad) is None


def test_new_passwords_must_be_reasonable():
    assert weakness("longenough") is None
    assert "at least" in weakness("short")
    assert "at most" in weakness("x" * 201)
    assert weakness(" padded password ") is not None
    assert weakness(12345678) is not None


def test_generated_passwords_are_long_and_different():
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20 and all(len(p) == 20 and p.isalnum() for p in passwords)
