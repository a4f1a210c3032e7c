from keypool.core.keys import mask_key, parse_keys

A = "sk-" + "a" * 48
B = "sk-" + "b" * 48
C = "sk-" + "c" * 48


def test_splits_on_any_separator_and_trims():
    text = f"  {A}\n{B},{C} ;\t{A}|{B}\r\n"
    parsed = parse_keys(text)
    assert parsed.keys == [A, B, C]
    assert parsed.duplicates == 2
    assert parsed.invalid == 0


def test_counts_malformed_tokens_as_invalid_and_masks_samples():
    parsed = parse_keys(f"{A} sk-short hello {B} sk-{'x' * 20}!")
    assert parsed.keys == [A, B]
    assert parsed.invalid == 3
    assert all("x" * 10 not in sample for sample in parsed.invalid_samples)


def test_reimports_a_with_balance_export():
    parsed = parse_keys(f"{A}----12.5\n{B}----unknown\n{C}----0")
    assert parsed.keys == [A, B, C]
    assert parsed.invalid == 0


def test_full_width_separators_from_chinese_input():
    assert parse_keys(f"{A}，{B}；{C}").keys == [A, B, C]


def test_quoted_keys_are_unwrapped():
    assert parse_keys(f'"{A}", \'{B}\'').keys == [A, B]


def test_mask_hides_the_middle():
    masked = mask_key(A)
    assert masked.startswith("sk-aaaa") and masked.endswith("aaaa")
    assert len(masked) < 20
    assert "a" * 10 not in masked
    assert mask_key("sk-1") == "sk-***"
    assert mask_key("") == "***"
