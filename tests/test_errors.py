from incident_cli import errors


def test_every_user_facing_error_is_an_incidents_error_with_its_message():
    for kind in (errors.UsageError, errors.ConfigError, errors.AuthError, errors.ProtocolMismatch, errors.ClientBug,
                 errors.OperationRejected, errors.Unavailable, errors.OutputError, errors.InvalidMessage):
        error = kind("something went wrong")
        assert isinstance(error, errors.IncidentsError) and str(error) == error.message == "something went wrong"


def test_disconnected_carries_rate_limiting():
    assert errors.Disconnected("x", rate_limited=True).rate_limited
    assert not errors.Disconnected("x").rate_limited


def test_local_protocol_errors_are_bugs_not_user_errors():
    assert not issubclass(errors.LocalProtocolError, errors.IncidentsError)
