"""@frozen: what a frozen dataclass offers, made without compiling code at import."""

import dataclasses

import pytest

from incident_cli.values import frozen


@frozen
class Point:
    """A value with a required field, a default, a factory and a field left out of equality."""

    x: int
    label: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", compare=False, repr=False)


@frozen
class Tagged(Point):
    """A subclass adds a field."""

    colour: str = "red"


@frozen(kw_only=False)
class Pair:
    """Fields may be passed in order."""

    left: int
    right: int = 0


def test_it_is_made_like_the_dataclass_it_stands_for():
    point = Point(x=1, label="a")
    assert (point.x, point.label, point.tags, point.note) == (1, "a", [], "")
    assert Point(x=1).tags is not Point(x=1).tags  # a factory per instance
    assert repr(point) == "Point(x=1, label='a', tags=[])"  # repr=False fields are not shown
    assert Tagged(x=2, colour="blue") == Tagged(x=2, colour="blue", note="other")  # compare=False ignored
    assert Tagged(x=2) != Point(x=2)  # another class is never equal
    assert Pair(1, 2) == Pair(left=1, right=2) and hash(Pair(1, 2)) == hash(Pair(1, right=2))
    assert {Pair(1), Pair(1)} == {Pair(1)}


def test_the_dataclasses_module_still_knows_it():
    point = Point(x=1, tags=["t"])
    assert dataclasses.is_dataclass(point) and [f.name for f in dataclasses.fields(Tagged)][-1] == "colour"
    assert dataclasses.replace(point, label="b") == Point(x=1, label="b", tags=["t"])
    assert dataclasses.asdict(point) == {"x": 1, "label": "", "tags": ["t"], "note": ""}


def test_it_is_frozen_and_refuses_what_its_init_would():
    point = Point(x=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.label
    with pytest.raises(TypeError, match="missing 1 required argument: 'x'"):
        Point()
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        Point(x=1, y=2)
    with pytest.raises(TypeError, match="positional"):
        Point(1)  # keyword-only by default
    with pytest.raises(TypeError, match="multiple values"):
        Pair(1, left=2)



def test_made_is_the_instance_init_would_make_without_running_it():
    from incident_cli.values import made

    fast = made(Tagged, x=3, colour="blue", tags=[])  # a field with a factory has no class default: given
    assert fast == Tagged(x=3, colour="blue", label="", note="") and repr(fast) == repr(Tagged(x=3, colour="blue"))
    assert fast.label == "" and fast.note == ""  # left out: the class defaults
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.x = 4
