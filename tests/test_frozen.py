"""promptlab.frozen.FrozenBuilder gives exactly what the dataclass's own __init__ gives (attributes,
their order and types, equality, hash, frozenness), and uses __init__ whenever it cannot prove that."""

from __future__ import annotations

import dataclasses

import pytest

from promptlab.frozen import FrozenBuilder
from promptlab.metadata.model import ImageMetadata
from promptlab.params import GenerationParams


def _exact(obj) -> list[tuple[str, type, object]]:
    return [(name, type(value), value) for name, value in vars(obj).items()]


@pytest.mark.parametrize("cls, values", [
    (GenerationParams, {}),
    (GenerationParams, {"prompt": "p", "steps": 3, "cfg_scale": 4.5, "width": 8, "tiling": True,
                        "extra": (("k", "v"),), "infotext_order": ("Steps", "k")}),
    (ImageMetadata, {"source": "x.png"}),
    (ImageMetadata, {"source": "x.png", "generator": "forge", "params": GenerationParams(), "raw": {"a": "b"},
                     "warnings": ("w",), "details": {"d": 1}, "image_width": 8}),
], ids=["params-defaults", "params-values", "metadata-source-only", "metadata-values"])
def test_build_equals_init(cls, values):
    builder = FrozenBuilder(cls)
    assert builder.direct
    built, init = builder.build(dict(values)), cls(**values)
    assert _exact(built) == _exact(init) and built == init and type(built) is cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.source = "y" if cls is ImageMetadata else None
    if cls is GenerationParams:
        assert hash(built) == hash(init)


def test_default_factories_give_fresh_objects():
    a, b = FrozenBuilder(ImageMetadata).build({"source": "a"}), FrozenBuilder(ImageMetadata).build({"source": "b"})
    assert a.raw == {} and a.raw is not b.raw and a.details is not b.details


def test_falls_back_to_init_when_it_cannot_prove_equality():
    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int = 1

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("a must be >= 0")

    @dataclasses.dataclass(frozen=True)
    class Required:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NotInInit:
        a: int = 1
        b: int = dataclasses.field(default=2, init=False)

    for cls in (Checked, NotInInit):
        assert not FrozenBuilder(cls).direct
    with pytest.raises(ValueError, match="a must be"):
        FrozenBuilder(Checked).build({"a": -1})  # the validation still runs
    assert _exact(FrozenBuilder(Required).build({"a": 3})) == _exact(Required(3))
    with pytest.raises(TypeError):
        FrozenBuilder(Required).build({})  # a missing required field is refused like __init__


def test_unknown_field_is_refused_like_init():
    with pytest.raises(TypeError):
        FrozenBuilder(GenerationParams).build({"no_such_field": 1})
