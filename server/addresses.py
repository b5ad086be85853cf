"""The address students type: this machine on the room's network, never `localhost`.

A lecturer serves from a laptop to a room; a link or QR code that says `localhost` or
`127.0.0.1` opens each student's own machine. The route the system would take to a private
network shows which of the laptop's addresses the room can reach (nothing is sent).
"""

from __future__ import annotations

import ipaddress
import socket

PROBE = ("10.254.254.254", 9)  # a private address: only a route lookup, no packet leaves
ALL_INTERFACES = ("0.0.0.0", "::", "")


def room_address() -> str | None:
    """This machine's IPv4 address on the network it routes to, or None (no network)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(PROBE)
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return host == "localhost"


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serving_banner(host: str, port: int) -> str:
    """What `unrolled serve` says first: where this machine serves, and the room's link."""
    if host not in ALL_INTERFACES:
        if is_loopback(host):
            return (
                f"Unrolled serves this machine only: {url(host, port)}\n"
                "To serve a room: unrolled serve --host 0.0.0.0 (scripts/serve --host 0.0.0.0)\n"
            )
        return f"Students open {url(host, port)}\n"
    address = room_address()
    if address is None:
        return (
            "Unrolled serves every interface, but this machine has no network address yet: "
            f"join the room's network, then give students http://<its address>:{port}/\n"
        )
    return f"Students open {url(address, port)} (this machine on the room's network)\n"
