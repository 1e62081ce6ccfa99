"""The one-match step for plain and quoted ``key: value`` items of the parameter line
(``params._PAIR_RE``) gives exactly what the general loop (``_KEY_RE`` + ``_read_value``, kept as
``params_reference.scan_parameter_line_reference``) gives: a differential property test over lines
mixing plain, quoted, JSON, bare and empty items, odd spacing and stray punctuation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import params as P
from promptlab.params import _scan_parameter_line as _fast_pairs
from promptlab.params_reference import scan_parameter_line_reference as _slow_pairs

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


def test_real_a1111_line_takes_the_one_match_step_for_every_item():
    line = ('Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1, Size: 832x1216, '
            'Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.10.1')
    pos, keys = 0, []
    while pos < len(line):
        m = P._PAIR_RE.match(line, pos)
        assert m is not None, line[pos:]
        keys.append(m.group(1))
        pos = m.end()
    assert keys == ["Steps", "Sampler", "CFG scale", "Seed", "Size", "Lora hashes", "Version"]
    assert _fast_pairs(line) == _slow_pairs(line)
    assert dict(_fast_pairs(line))["Lora hashes"] == "add_detail: 7c6bad76eb54"


def test_scan_parameter_line_uses_it():
    pairs = P._scan_parameter_line("Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5")
    assert pairs == [("Steps", "20"), ("Sampler", "Euler a"), ("CFG scale", "7"), ("Seed", "5")]
