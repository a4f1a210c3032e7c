import pytest

from keypool.core.export import format_balance, format_export, resolve_separator

ROWS = [("sk-a", 12.5), ("sk-b", None), ("sk-c", 0.0), ("sk-d", 3.14159)]


@pytest.mark.parametrize("name, sep", [
    ("newline", "\n"), ("comma", ","), ("space", " "), ("semicolon", ";"), ("tab", "\t"), (None, "\n"),
])
def test_named_separators(name, sep):
    assert format_export(ROWS, "plain", resolve_separator(name)) == sep.join(["sk-a", "sk-b", "sk-c", "sk-d"])


def test_custom_separator_literal_and_escapes():
    assert resolve_separator("custom", " | ") == " | "
    assert resolve_separator("||") == "||"
    assert resolve_separator("custom", "\\n\\n") == "\n\n"


@pytest.mark.parametrize("bad", ["", "x" * 17])
def test_custom_separator_rejects_empty_and_long(bad):
    with pytest.raises(ValueError):
        resolve_separator("custom", bad)


def test_with_balance_shows_unknown_not_zero():
    text = format_export(ROWS, "with_balance", "\n")
    assert text.splitlines() == ["sk-a----12.5", "sk-b----unknown", "sk-c----0", "sk-d----3.1416"]


def test_balance_formatting():
    assert format_balance(14) == "14"
    assert format_balance(-0.00001) == "0"
    assert format_balance(-0.25) == "-0.25"


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError):
        format_export(ROWS, "csv", ",")
