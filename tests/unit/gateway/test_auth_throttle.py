"""What failed authentications are counted by: one address is one count, whatever
way it is written, and an IPv6 host's /64 is one count, so a guesser cannot escape
the throttle by taking the next address of its block."""
from __future__ import annotations

from services.gateway.auth_throttle import counted_address


def test_an_ipv6_block_counts_once_and_an_ipv4_address_however_written():
    assert counted_address("2001:db8:1:2::1") == counted_address("2001:db8:1:2:ffff:ffff:ffff:fffe") \
        == "2001:db8:1:2::/64"
    assert counted_address("2001:db8:1:3::1") != counted_address("2001:db8:1:2::1")
    assert counted_address("::ffff:203.0.113.7") == counted_address("203.0.113.7") == "203.0.113.7"
    assert counted_address("203.0.113.7") != counted_address("203.0.113.8")
    assert counted_address("unix-socket") == "unix-socket"
