"""Topology kept in the store, channel names taken apart, numbers in one form."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from atsnb.calls import Topology
from atsnb.calls.channels import channel_stems, parse_channels
from atsnb.phone_numbers import normalize_number, normalize_numbers
from atsnb.store import Store
from tests.support.cdr_rows import TOPOLOGY, cdr_row, frame


def test_topology_saved_in_the_store_is_read_back_and_wins_over_inference(store_path):
    store = Store.open(store_path)
    cdr = frame(cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1"))
    assert Topology.from_store(store, cdr).trunks == ["trunk1"]  # nothing saved: inferred
    assert Topology.from_store(store) == Topology()
    TOPOLOGY.save(store)
    assert Topology.from_store(store, cdr) == TOPOLOGY


@pytest.mark.parametrize(("name", "tech", "peer", "number", "context"), [
    ("PJSIP/201-0000001a", "PJSIP", "201", "201", ""),
    ("SIP/202-00000003", "SIP", "202", "202", ""),
    ("PJSIP/beeline-8800-0000a1b2", "PJSIP", "beeline-8800", "beeline-8800", ""),  # a "-" inside the peer
    ("IAX2/trunk-14818", "IAX2", "trunk", "trunk", ""),  # IAX2: a decimal call number
    ("IAX2/101-1702", "IAX2", "101", "101", ""),
    ("IAX2/101-271", "IAX2", "101", "101", ""),
    ("IAX2/192.168.1.5:4569-1234", "IAX2", "192.168.1.5:4569", "192.168.1.5:4569", ""),  # a peer by address
    ("DAHDI/1-1", "DAHDI", "1", "1", ""),  # an analog port and its sequence number
    ("DAHDI/i1/79161234567-5", "DAHDI", "i1", "79161234567", ""),  # an ISDN span and the far party
    ("Local/101@from-queue-0000002a;1", "Local", "101@from-queue", "101", "from-queue"),
    ("Local/103@from-internal-0000003f;2", "Local", "103@from-internal", "103", "from-internal"),
    ("Dongle/dongle0-0100000001", "Dongle", "dongle0", "dongle0", ""),  # a GSM gateway
    ("Motif/bot@example.com-3c0a", "Motif", "bot@example.com", "bot", "example.com"),
    ("UnicastRTP/127.0.0.1:5000-0x7f3b1c0012a0", "UnicastRTP", "127.0.0.1:5000", "127.0.0.1:5000", ""),
    ("Console/dsp", "Console", "dsp", "dsp", ""),  # no suffix at all
    ("PJSIP/x-abc_d", "PJSIP", "x-abc_d", "x-abc_d", ""),  # not a suffix: "_" is no letter or digit
    ("PJSIP/201", "PJSIP", "201", "201", ""),
    ("201", "", "201", "201", ""),
    ("", "", "", "", ""),
])
def test_channel_names_of_every_driver_follow_the_general_rule(name, tech, peer, number, context):
    # Among other names, so the byte-level suffix search meets its neighbours' bytes.
    names = pd.Series(["IAX2/7-1", name, "DAHDI/i2/74950000000-17", "Local/9@x-0000abcd;2"])
    parts = parse_channels(names).iloc[1]
    assert (parts.tech, parts.peer, parts.number, parts.context) == (tech, peer, number, context)


def test_names_at_the_very_start_of_the_buffer_are_read_whole():
    assert parse_channels(pd.Series(["IAX2/7-1"]))["peer"].tolist() == ["7"]
    assert parse_channels(pd.Series(["a-1;2", "DAHDI/2-3"]))["peer"].tolist() == ["a", "2"]
    assert parse_channels(pd.Series(["-1", "x"]))["peer"].tolist() == ["-1", "x"]


def test_both_halves_of_a_local_channel_and_all_counters_of_one_peer_share_a_stem():
    codes, stems = channel_stems(pa.array(["IAX2/101-1702", "Local/5@q-0000002a;1", "IAX2/101-3",
                                           "Local/5@q-0000002a;2", "PJSIP/101-0000000b", "IAX2/101-33333"]))
    assert [stems[c] for c in codes] == ["IAX2/101", "Local/5@q", "IAX2/101", "Local/5@q", "PJSIP/101", "IAX2/101"]


def test_russian_numbers_become_eleven_digits_starting_with_seven():
    assert normalize_number("+7 (916) 123-45-67") == "79161234567"
    assert normalize_number("89161234567") == "79161234567"
    assert normalize_number("9161234567") == "79161234567"
    assert normalize_number("4951234567") == "74951234567"
    assert normalize_number("81044201234567") == "44201234567"
    assert normalize_number("201") == "201"
    assert normalize_number(None) == "" and normalize_number("anonymous") == ""
    assert normalize_numbers(pd.Series(["8 916 123 45 67", None, "201"])).tolist() == ["79161234567", "", "201"]


def test_the_column_rule_is_the_one_number_rule():
    values = ["+7 (916) 123-45-67", "89161234567", "9161234567", "4951234567", "81044201234567", "201", None,
              "anonymous", "", "  8 916 123 45 67 ", "0044201234567", "+44 20 1234", "1234567890", "810123",
              "00123", "8", "+", "7916", "89161234567 доб. 5", float("nan"), "٣٣", "8 (800) 555-35-35"]
    column = normalize_numbers(pd.Series(values * 3, dtype=object))
    assert column.tolist() == [normalize_number(v) for v in values * 3]


def test_a_column_read_from_several_files_is_normalised_whole():
    """A year read from month files is a chunked Arrow column: one dictionary over every chunk."""
    chunked = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([["8 916 123-45-67"], ["+1 555", None]])))
    assert normalize_numbers(chunked).tolist() == ["79161234567", "1555", ""]
