"""Client addresses: which one a request came from, and what kind of address it is."""

from __future__ import annotations

import ipaddress
from typing import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> list[Network]:
    """CIDRs (or single addresses); ValueError naming the first bad one."""
    networks = []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR range") from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def in_networks(text: str, networks: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a
    trusted proxy, and then from the right: the first hop that is not itself a
    trusted proxy is the client (anything left of it is the client's own claim)."""
    if not trusted or not forwarded_for or not in_networks(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer  # a malformed chain proves nothing
        if not in_networks(hop, trusted):
            return str(_address(hop))
    return str(_address(hops[0])) if hops else peer


_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def private_host(host: str) -> bool:
    """True when a URL's host is an address that is not public, or a name that is
    local by definition. Other names need resolving to tell (see alerts.py)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if _address(name) is not None:
        return not is_public(name)
    return name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES) or "." not in name


def is_public(text: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    address = _address(text)
    return address is not None and address.is_global and not address.is_multicast
