"""The one-match fast path for plain ``key: value`` pairs in the parameter line gives exactly what the
general loop (``_KEY_RE`` + ``_read_value``) gives: a differential property test over lines mixing
plain, quoted, JSON, bare and empty items, odd spacing and stray punctuation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import params as P


def _slow_pairs(line: str) -> list[tuple[str, str]]:
    """The general loop alone, item by item (no fast path)."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(line):
        m = P._KEY_RE.match(line, pos)
        if m is None:
            end = line.find(",", pos)
            end = len(line) if end < 0 else end
            item = line[pos:end].strip()
            if item:
                pairs.append((item, item))
            pos = end + 1
            continue
        value, pos = P._read_value(line, m.end())
        pairs.append((m.group(1), value))
    return pairs


def _fast_pairs(line: str) -> list[tuple[str, str]]:
    """The fast path where it matches, the general step elsewhere (as _scan_parameter_line does)."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(line):
        plain = P._PLAIN_PAIR_RE.match(line, pos)
        if plain is not None:
            pairs.append((plain.group(1), plain.group(2).rstrip()))
            pos = plain.end()
            continue
        m = P._KEY_RE.match(line, pos)
        if m is None:
            end = line.find(",", pos)
            end = len(line) if end < 0 else end
            item = line[pos:end].strip()
            if item:
                pairs.append((item, item))
            pos = end + 1
            continue
        value, pos = P._read_value(line, m.end())
        pairs.append((m.group(1), value))
    return pairs


KEYS = st.sampled_from(["Steps", "Sampler", "CFG scale", "Model hash", "Hires upscaler", "ADetailer model", "a",
                        "Lora hashes", "Size", "x-y/z"])
VALUES = st.one_of(
    st.sampled_from(["20", "DPM++ 2M", "832x1216", "R-ESRGAN 4x+", "", " ", "a: b", '"q, w"', '"unclosed',
                     '{"model": "abc", "vae": "d"}', "[1, 2]", "{broken", '"x" tail', "1.5 ", "f: g: h"]),
    st.text(alphabet=st.sampled_from(list('ab :,"{}[]\\ \t-/1')), max_size=12),
)
ITEMS = st.one_of(st.tuples(KEYS, st.sampled_from([": ", ":", ":  ", " : "]), VALUES).map("".join),
                  st.sampled_from(["flag", "", "  ", "Tiling"]))


@settings(max_examples=400, deadline=None)
@given(st.lists(ITEMS, min_size=0, max_size=8), st.sampled_from([", ", ",", " ,  "]))
def test_fast_path_matches_the_general_loop(items, sep):
    line = sep.join(items)
    assert _fast_pairs(line) == _slow_pairs(line)


def test_real_a1111_line_takes_the_fast_path_for_plain_values():
    line = ('Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1, Size: 832x1216, '
            'Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.10.1')
    plain = [m for m in (P._PLAIN_PAIR_RE.match(line, 0),) if m]
    assert plain and plain[0].group(1) == "Steps"
    assert _fast_pairs(line) == _slow_pairs(line)
    assert dict(_fast_pairs(line))["Lora hashes"] == "add_detail: 7c6bad76eb54"


def test_scan_parameter_line_uses_it():
    pairs = P._scan_parameter_line("Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5")
    assert pairs == [("Steps", "20"), ("Sampler", "Euler a"), ("CFG scale", "7"), ("Seed", "5")]
