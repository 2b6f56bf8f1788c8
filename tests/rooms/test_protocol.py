import json

import pytest

from nanodev.rooms import protocol
from nanodev.rooms.protocol import LegacyCall, Ping, ProtocolError, Rpc, Subscribe


def test_parse_known_actions():
    assert isinstance(protocol.parse('{"action":"ping"}'), Ping)
    sub = protocol.parse('{"action":"subscribe","table":"t"}')
    assert isinstance(sub, Subscribe) and sub.table == "t"
    rpc = protocol.parse('{"action":"rpc","method":"getSchema","requestId":"r1","updateId":7}')
    assert isinstance(rpc, Rpc) and rpc.method == "getSchema"
    assert (rpc.requestId, rpc.updateId) == ("r1", 7)
    assert isinstance(protocol.parse('{"action":"setCursor","payload":{}}'), LegacyCall)


def test_rpc_without_method_is_method_rpc():
    assert protocol.parse('{"action":"rpc"}').method == "rpc"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "BAD_JSON"),
        ("{", "BAD_JSON"),
        ("[1,2]", "BAD_MESSAGE"),
        ('"ping"', "BAD_MESSAGE"),
        ("{}", "MISSING_ACTION"),
        ('{"action":"explode"}', "UNKNOWN_ACTION"),
        ('{"action":"subscribe"}', "BAD_MESSAGE"),
        ('{"action":"subscribe","table":5}', "BAD_MESSAGE"),
        ('{"action":"rpc","method":5}', "BAD_MESSAGE"),
    ],
)
def test_bad_frames_are_named(text, code):
    with pytest.raises(ProtocolError) as info:
        protocol.parse(text)
    assert info.value.code == code
    frame = info.value.frame()
    assert frame["type"] == "error" and frame["error"]


def test_error_echoes_request_id_when_readable():
    with pytest.raises(ProtocolError) as info:
        protocol.parse('{"action":"explode","requestId":"abc"}')
    assert info.value.frame()["requestId"] == "abc"


def test_encode_is_json():
    assert json.loads(protocol.encode({"a": 1})) == {"a": 1}
    assert json.loads(protocol.PONG) == {"type": "pong"}
    assert json.loads(protocol.RESET) == {"type": "reset"}
