"""Action server responses are checked against Rasa's schema as before, with the validator built once."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import channels.rasa_plugins  # noqa: F401 - installs the check
from channels.action_validation import response_validator, validate_action_result

GOOD = {"events": [{"event": "slot", "name": "focus", "value": "D1", "timestamp": None}],
        "responses": [{"text": "Here you are", "custom": {"cards": []}, "buttons": [{"title": "More", "payload": "/more"}]}]}


def test_rasa_uses_the_cached_check_and_it_accepts_what_rasa_accepts():
    action = RemoteAction("action_probe", None)
    assert RemoteAction._validate_action_result is validate_action_result
    assert action._validate_action_result(GOOD) is True
    assert response_validator() is response_validator()


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"event": "slot", "name": 3}]},
                                 {"events": [{"no_event": 1}]}])
def test_a_malformed_response_is_rejected_with_rasas_message(bad):
    from jsonschema import validate

    with pytest.raises(ValidationError):
        validate(bad, RemoteAction.action_response_format_spec())  # what Rasa itself would say
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_probe", None)._validate_action_result(bad)
