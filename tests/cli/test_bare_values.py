from incident_cli.cli.bare_values import fill_bare

VALUED = ("--exec", "--url", "-n")


def test_a_bare_bell_stands_for_p0_and_p1():
    assert fill_bare(["watch", "--bell"], VALUED) == ["watch", "--bell=P0,P1"]
    assert fill_bare(["watch", "--bell", "-n", "3"], VALUED) == ["watch", "--bell=P0,P1", "-n", "3"]


def test_a_bell_with_severities_keeps_them():
    assert fill_bare(["watch", "--bell", "P2", "-n", "3"], VALUED) == ["watch", "--bell", "P2", "-n", "3"]
    assert fill_bare(["watch", "--bell=P0"], VALUED) == ["watch", "--bell=P0"]


def test_a_bell_that_is_another_options_value_or_after_the_end_of_options_is_left_alone():
    assert fill_bare(["watch", "--exec", "--bell"], VALUED) == ["watch", "--exec", "--bell"]
    assert fill_bare(["watch", "--", "--bell"], VALUED) == ["watch", "--", "--bell"]


def test_other_commands_are_untouched():
    assert fill_bare(["show", "--bell"], VALUED) == ["show", "--bell"]
    assert fill_bare([], VALUED) == []
