"""Sans-IO FIX codec: bytes in, messages out; messages in, bytes out. No sockets here."""
from .encoder import Encoder, encode_message
from .message import FixMessage
from .parser import FixParser, ParseError

__all__ = ["Encoder", "encode_message", "FixMessage", "FixParser", "ParseError"]
