import pytest

from keypool.core.addresses import client_address, in_networks, is_public, parse_networks

PROXY = parse_networks(["10.0.0.0/8"])


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    assert client_address("203.0.113.9", "1.2.3.4", PROXY) == "203.0.113.9"   # not a proxy: its claim is ignored
    assert client_address("10.0.0.5", "198.51.100.7", PROXY) == "198.51.100.7"
    assert client_address("10.0.0.5", "198.51.100.7", []) == "10.0.0.5"        # no trusted proxies at all


def test_the_rightmost_untrusted_hop_is_the_client():
    # A client that sends its own X-Forwarded-For cannot choose its address:
    # the proxy appends what it saw, and that is what counts.
    assert client_address("10.0.0.5", "6.6.6.6, 198.51.100.7", PROXY) == "198.51.100.7"
    assert client_address("10.0.0.5", "198.51.100.7, 10.0.0.9", PROXY) == "198.51.100.7"
    assert client_address("10.0.0.5", "not-an-ip, 198.51.100.7", PROXY) == "198.51.100.7"
    assert client_address("10.0.0.5", "198.51.100.7, garbage", PROXY) == "10.0.0.5"


def test_networks_and_membership():
    nets = parse_networks(["192.168.1.0/24", "2001:db8::/32", "203.0.113.5"])
    assert in_networks("192.168.1.77", nets) and in_networks("203.0.113.5", nets)
    assert in_networks("2001:db8::1", nets) and in_networks("::ffff:192.168.1.2", nets)
    assert not in_networks("192.168.2.1", nets) and not in_networks("", nets) and not in_networks("x", nets)
    with pytest.raises(ValueError, match="not an IP address"):
        parse_networks(["10.0.0.0/33"])


def test_private_and_special_addresses_are_not_public():
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "::1", "fe80::1",
                    "fc00::1", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1", "100.64.0.1", "nonsense"):
        assert not is_public(address), address
    for address in ("1.1.1.1", "8.8.8.8", "2606:4700:4700::1111"):
        assert is_public(address), address
