"""The UI's message files: zh and en hold the same keys, every key the scripts use exists,
and no message is left unused (a key built at run time, t(`status.${s}`), counts for its prefix)."""

from __future__ import annotations

import json
import re

from support import ROOT

STATIC = ROOT / "static"
LITERAL = re.compile(r"""["']([a-z_]+\.[a-z0-9_]+)["']""")
DYNAMIC = re.compile(r"""\bt\(`([a-z_]+\.[a-z0-9_]*)\$\{""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def messages(lang: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def scripts() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted((STATIC / "js").rglob("*.js")))


def test_both_languages_have_the_same_keys_and_placeholders():
    zh, en = messages("zh"), messages("en")
    assert sorted(zh) == sorted(en), f"only in zh: {set(zh) - set(en)}; only in en: {set(en) - set(zh)}"
    for key in en:
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert zh[key].strip() and en[key].strip(), f"{key} is empty"


def test_every_key_the_scripts_use_exists_and_every_message_is_used():
    en = messages("en")
    namespaces = {key.split(".")[0] for key in en}
    source = scripts()
    used = {key for key in LITERAL.findall(source) if key.split(".")[0] in namespaces}
    prefixes = set(DYNAMIC.findall(source))
    assert used, "no message key found in static/js?"
    missing = sorted(used - set(en))
    assert not missing, f"keys used in static/js but missing from the message files: {missing}"
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in en), f"no message starts with {prefix!r}"
    unused = sorted(key for key in en if key not in used and not any(key.startswith(p) for p in prefixes))
    assert not unused, f"messages no script uses: {unused}"


def test_chinese_messages_are_translated():
    zh, en = messages("zh"), messages("en")
    same = [key for key in en if zh[key] == en[key] and re.search(r"[A-Za-z]{4,}", en[key])]
    assert not same, f"zh messages left in English: {same}"
