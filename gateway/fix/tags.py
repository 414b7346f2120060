"""FIX tag numbers and enumerated values the engine uses, named once."""

SOH = b"\x01"

# Header / trailer
BeginString = 8
BodyLength = 9
MsgType = 35
SenderCompID = 49
TargetCompID = 56
MsgSeqNum = 34
PossDupFlag = 43
PossResend = 97
SendingTime = 52
OrigSendingTime = 122
CheckSum = 10

# Session
EncryptMethod = 98
HeartBtInt = 108
ResetSeqNumFlag = 141
TestReqID = 112
BeginSeqNo = 7
EndSeqNo = 16
NewSeqNo = 36
GapFillFlag = 123
RefSeqNum = 45
RefTagID = 371
RefMsgType = 372
SessionRejectReason = 373
BusinessRejectReason = 380
BusinessRejectRefID = 379
Text = 58
Password = 554

# Orders
Account = 1
AvgPx = 6
ClOrdID = 11
CumQty = 14
ExecID = 17
LastPx = 31
LastQty = 32
OrderID = 37
OrderQty = 38
OrdStatus = 39
OrdType = 40
OrigClOrdID = 41
Price = 44
Side = 54
Symbol = 55
TimeInForce = 59
TransactTime = 60
OrdRejReason = 103
ExecType = 150
LeavesQty = 151
CxlRejReason = 102
CxlRejResponseTo = 434
ExecTransType = 20   # FIX 4.2 only

#: Standard header tags (FIX 4.4 StandardHeader, incl. routing and sub-IDs).
HEADER_TAGS = frozenset({BeginString, BodyLength, MsgType, SenderCompID, TargetCompID, MsgSeqNum,
                         PossDupFlag, PossResend, SendingTime, OrigSendingTime,
                         50, 57, 115, 116, 128, 129, 142, 143, 144, 145, 369, 627})
HEADER_TAG_TEXT = frozenset(str(t) for t in HEADER_TAGS)


class MsgTypes:
    HEARTBEAT = "0"
    TEST_REQUEST = "1"
    RESEND_REQUEST = "2"
    REJECT = "3"
    SEQUENCE_RESET = "4"
    LOGOUT = "5"
    LOGON = "A"
    EXECUTION_REPORT = "8"
    ORDER_CANCEL_REJECT = "9"
    NEW_ORDER_SINGLE = "D"
    ORDER_CANCEL_REQUEST = "F"
    ORDER_CANCEL_REPLACE_REQUEST = "G"
    BUSINESS_MESSAGE_REJECT = "j"


ADMIN_TYPES = frozenset({"0", "1", "2", "3", "4", "5", "A"})
APP_TYPES = frozenset({"8", "9", "D", "F", "G", "j"})


class SessionRejectReasons:
    INVALID_TAG_NUMBER = 0
    REQUIRED_TAG_MISSING = 1
    TAG_NOT_DEFINED_FOR_MSG_TYPE = 2
    UNDEFINED_TAG = 3
    TAG_WITHOUT_VALUE = 4
    VALUE_INCORRECT = 5
    INCORRECT_DATA_FORMAT = 6
    COMPID_PROBLEM = 9
    SENDING_TIME_ACCURACY = 10
    INVALID_MSGTYPE = 11
    TAG_APPEARS_MORE_THAN_ONCE = 13
    TAG_OUT_OF_ORDER = 14


#: Every MsgType FIX 4.4 defines (4.2's are a subset). A value outside this set is an
#: invalid MsgType (session Reject 11); a defined type the engine does not handle gets
#: BusinessMessageReject (380=3) from the application.
VALID_MSG_TYPES = frozenset(
    "0 1 2 3 4 5 6 7 8 9 A B C D E F G H J K L M N P Q R S T V W X Y Z "
    "a b c d e f g h i j k l m n o p q r s t u v w x y z "
    "AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ "
    "BA BB BC BD BE BF BG BH".split())
