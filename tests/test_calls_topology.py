"""Topology kept in the store, channel names taken apart, numbers in one form."""

from __future__ import annotations

import pandas as pd

from atsnb.calls import Topology
from atsnb.calls.channels import parse_channels
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


def test_channel_names_are_split_into_tech_peer_number_and_context():
    parts = parse_channels(pd.Series(["PJSIP/beeline-8800-0000a1b2", "Local/201@from-queue-0000002b;2",
                                      "SIP/202-00000003", ""]))
    assert parts["tech"].tolist() == ["PJSIP", "Local", "SIP", ""]
    assert parts["peer"].tolist() == ["beeline-8800", "201@from-queue", "202", ""]
    assert parts["number"].tolist()[:2] == ["beeline-8800", "201"]
    assert parts["context"].tolist()[1] == "from-queue"


def test_russian_numbers_become_eleven_digits_starting_with_seven():
    assert normalize_number("+7 (916) 123-45-67") == "79161234567"
    assert normalize_number("89161234567") == "79161234567"
    assert normalize_number("9161234567") == "79161234567"
    assert normalize_number("4951234567") == "74951234567"
    assert normalize_number("81044201234567") == "44201234567"
    assert normalize_number("201") == "201"
    assert normalize_number(None) == "" and normalize_number("anonymous") == ""
    assert normalize_numbers(pd.Series(["8 916 123 45 67", None, "201"])).tolist() == ["79161234567", "", "201"]
