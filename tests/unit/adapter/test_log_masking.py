"""Secrets are masked in logs however they are written: percent-encoded in a URL, escaped in
JSON, in base64 inside an HTTP Basic header, or inside an object passed as an extra field."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from g2a_adapter.logformat import MaskingFilter, SecretMasker, configure_logging, json_formatter
from g2a_adapter.receiver import (
    AccountDetail,
    DeliveredStock,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    StockLevel,
)

# Shaped like G2A's sample client secrets: `$` and `/` are percent-encoded in a query.
CLIENT_SECRET = "$2a$10$E2jV.xq9Lk/HJoT6+w a~Z"
TOKEN_URL = httpx.URL("https://api.g2a.com/oauth/token", params={"client_secret": CLIENT_SECRET})


def test_a_query_encoded_secret_is_masked_as_httpx_sends_it() -> None:
    mask = SecretMasker([CLIENT_SECRET])
    assert mask(f"GET {TOKEN_URL}") == "GET https://api.g2a.com/oauth/token?client_secret=***"


@pytest.mark.parametrize(
    "written",
    [
        "%242a%2410%24E2jV.xq9Lk%2FHJoT6%2Bw%20a~Z",  # quote(safe="")
        "%242a%2410%24E2jV.xq9Lk%2FHJoT6%2Bw+a~Z",  # quote_plus (forms, httpx, requests)
        "%242a%2410%24E2jV.xq9Lk/HJoT6%2Bw%20a~Z",  # quote (a path: `/` left as is)
        "%242a%2410%24E2jV.xq9Lk%2fHJoT6%2bw+a~Z",  # lower-case hex
        "$2a$10$E2jV.xq9Lk%2FHJoT6+w%20a~Z",  # a URL's user info (WHATWG: `$`, `+` kept)
    ],
)
def test_every_usual_percent_encoding_of_a_secret_is_masked(written: str) -> None:
    assert SecretMasker([CLIENT_SECRET])(f"secret={written}&x=1") == "secret=***&x=1"


def test_a_password_in_a_urls_user_info_is_masked_as_httpx_writes_it() -> None:
    url = httpx.URL("https://api.g2a.com/v1").copy_with(username="client", password=CLIENT_SECRET)
    assert SecretMasker([CLIENT_SECRET])(f"GET {url}") == "GET https://client:***@api.g2a.com/v1"


def test_a_secret_with_nothing_to_encode_is_masked_once() -> None:
    assert SecretMasker(["plainsecret"])("a plainsecret b") == "a *** b"


@pytest.mark.parametrize("client_id", ["a", "ab", "abc", "seller-client-0001"])
def test_a_secret_in_an_http_basic_header_is_masked_as_the_whole_credential(client_id: str) -> None:
    """Each client id length puts the secret at another of base64's three alignments."""
    credential = base64.b64encode(f"{client_id}:{CLIENT_SECRET}".encode()).decode()
    line = f"Authorization: Basic {credential}, next"
    assert SecretMasker([CLIENT_SECRET])(line) == "Authorization: Basic ***, next"


@pytest.mark.parametrize(
    "encode",
    [
        lambda b: base64.urlsafe_b64encode(b).decode(),
        lambda b: quote(base64.b64encode(b).decode(), safe=""),
        lambda b: quote(base64.b64encode(b).decode()),  # `/` kept, as a path segment writes it
        lambda b: re.sub(
            "%[0-9A-F]{2}",
            lambda m: m.group().lower(),
            quote(base64.b64encode(b).decode(), safe=""),
        ),
    ],
    ids=["url-safe", "percent-encoded", "percent-encoded-slash-kept", "percent-encoded-lower-hex"],
)
def test_a_secret_in_url_safe_or_percent_encoded_base64_is_masked(
    encode: Callable[[bytes], str],
) -> None:
    # "?>" in the secret gives `/` and `+` in its base64: the two alphabets differ there
    secret = "s3cr?>t-value?>?>"
    for client_id in ("a", "ab", "abc"):
        line = f"token={encode(f'{client_id}:{secret}'.encode())}&next=1"
        assert SecretMasker([secret])(line) == "token=***&next=1"


def test_base64_text_without_the_secret_is_left_as_it_is() -> None:
    other = base64.b64encode(b"client:another-secret-value").decode()
    assert SecretMasker([CLIENT_SECRET])(f"Basic {other}") == f"Basic {other}"


def test_a_basic_credential_in_json_written_the_php_way_is_masked() -> None:
    """PHP's `json_encode` writes each `/` of the base64 as `\\/`."""

    def basic(secret: str) -> str:
        return base64.b64encode(f"myclient:{secret}".encode()).decode()

    secrets = [s for n in range(60) if "/" in basic(s := f"{n}?s3cr3t~?mx=}}LpQ}}|#2#\\yMK.")]
    assert len(secrets) >= 10
    for secret in secrets:
        line = json.dumps({"Authorization": f"Basic {basic(secret)}", "n": 1})
        php_line = line.replace("/", "\\/")
        assert SecretMasker([secret])(php_line) == '{"Authorization": "Basic ***", "n": 1}', secret


@pytest.mark.parametrize("before", ["\t", "\r", "\n", "é", "\x00"])
def test_a_json_escape_just_before_a_masked_credential_is_left_as_it_is(before: str) -> None:
    """An escape's letters (`t` of `\\t`, `u00e9` of `\\u00e9`) are base64, yet not the word's."""
    credential = base64.b64encode(f"client-id:{CLIENT_SECRET}".encode()).decode()
    body = json.dumps({"header": f"{before}{credential}"})
    escape = json.dumps(before)[1:-1]
    assert SecretMasker([CLIENT_SECRET])(body) == f'{{"header": "{escape}***"}}'


def test_the_line_after_a_masked_credential_is_left_as_it_is() -> None:
    encoded = base64.b64encode(f"client-id:{CLIENT_SECRET}".encode()).decode().rstrip("=")
    line = f"send: POST /oauth/token\nAuthorization: Basic {encoded}\nAccept: application/json"
    assert SecretMasker([CLIENT_SECRET])(line) == (
        "send: POST /oauth/token\nAuthorization: Basic ***\nAccept: application/json"
    )


API_KEY = "0123456789abcdef" * 4  # as long as G2A's API key: its base64 always spans a break


def _wrapped(text: str, width: int, line_break: str) -> str:
    return line_break.join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize("width", [64, 76], ids=["pem", "mime"])
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\n    ", "\\n"])
@pytest.mark.parametrize("secret", [CLIENT_SECRET, API_KEY])
def test_a_basic_credential_wrapped_over_lines_is_masked_whole(
    width: int, line_break: str, secret: str
) -> None:
    """Wrapped as PEM (64 columns) or MIME and `base64` (76), maybe indented (YAML) or inside
    a JSON string (`\\n`); the line after it is left as it is."""
    for client_id in ("a", "ab", "abc", "seller-client-0001"):
        encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        block = f"credential:{line_break}{_wrapped(encoded, width, line_break)}{line_break}next: 1"
        assert SecretMasker([secret])(block) == f"credential:{line_break}***{line_break}next: 1"
        rest = _wrapped(encoded[40:], width, line_break)
        header = f"Authorization: Basic {encoded[:40]}{line_break}{rest}{line_break}Accept: */*"
        assert SecretMasker([secret])(header) == (
            f"Authorization: Basic ***{line_break}Accept: */*"
        )


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_secret_escaped_in_json_is_masked(ensure_ascii: bool) -> None:
    secret = 'pässwörd-"quoted"\\ü'
    body = json.dumps({"client_secret": secret, "n": 1}, ensure_ascii=ensure_ascii)
    assert SecretMasker([secret])(body) == '{"client_secret": "***", "n": 1}'


# PHP's json_encode (G2A's official client is PHP) writes `/` as `\\/`; other encoders write
# the hex of `\\u` escapes in upper case, or mix both. A body echoed back can carry any spelling.
PHP_SECRET = "pä/ss\N{GRINNING FACE}wörd/1"


@pytest.mark.parametrize(
    ("written", "spelling"),
    [
        ("p\\u00e4\\/ss\\ud83d\\ude00w\\u00f6rd\\/1", "PHP json_encode default"),
        ("p\\u00E4/ss\\uD83D\\uDE00w\\u00F6rd/1", "upper-case hex"),
        ("p\\u00E4\\/ss\\uD83D\\uDE00w\\u00F6rd\\/1", "upper-case hex, escaped slash"),
        ("pä\\/ss\N{GRINNING FACE}wörd\\/1", "JSON_UNESCAPED_UNICODE, escaped slash"),
        ("p\\u00E4\\/ss\\ud83d\\uDE00w\\u00f6rd\\/1", "escapes in either case"),
        ("p\\u00e4/ss\\uD83d\\uDe00w\\u00F6rd/1", "cases mixed within an escape"),
    ],
)
def test_a_secret_escaped_in_json_the_php_way_is_masked(written: str, spelling: str) -> None:
    assert json.loads(f'"{written}"') == PHP_SECRET, spelling
    body = f'{{"client_secret":"{written}","n":1}}'
    assert SecretMasker([PHP_SECRET])(body) == '{"client_secret":"***","n":1}'


@pytest.mark.parametrize(
    ("written", "writer"),
    [
        ("s&amp;cr&lt;t&gt;-&quot;q&quot;-'a'", "an XML attribute"),
        ("s&amp;cr&lt;t&gt;-\"q\"-'a'", "XML text"),
        ("s&amp;cr&lt;t&gt;-&quot;q&quot;-&#x27;a&#x27;", "html.escape"),
    ],
)
def test_a_secret_escaped_in_xml_or_html_is_masked(written: str, writer: str) -> None:
    secret = "s&cr<t>-\"q\"-'a'"
    report = f'<failure message="{written}">{written}</failure>'
    assert SecretMasker([secret])(report) == '<failure message="***">***</failure>', writer


def test_a_backslash_u_written_in_a_secret_is_not_read_as_an_escape() -> None:
    """A secret holding the six characters `\\u00e4` is JSON `\\\\u00e4`: no hex to upper-case."""
    secret = "abc\\u00e4def"
    written = json.dumps(secret)[1:-1]
    assert SecretMasker([secret])(f"x={written};") == "x=***;"
    assert SecretMasker([secret])("x=abc\\\\u00E4def;") == "x=abc\\\\u00E4def;"


@pytest.fixture
def json_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The root logger writing JSON to a buffer, masking `hunter2` and the client secret."""
    monkeypatch.setenv("G2A_LOG_FORMAT", "json")
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(secrets=["hunter2", CLIENT_SECRET], stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _logged(stream: io.StringIO, **extra: object) -> dict[str, object]:
    logging.getLogger("other.library").warning("failed", extra=extra)
    record: dict[str, object] = json.loads(stream.getvalue())
    return record


def test_an_exception_passed_as_an_extra_field_is_masked(json_log: io.StringIO) -> None:
    record = _logged(json_log, e=ValueError("db password hunter2 refused"))
    assert record["e"] == "ValueError: db password *** refused"  # as python-json-logger writes it


def test_objects_holding_a_secret_are_masked_as_their_text(json_log: io.StringIO) -> None:
    record = _logged(
        json_log,
        url=TOKEN_URL,
        path=Path("/run/hunter2/key"),
        nested=[{"cause": RuntimeError("hunter2")}],
    )
    assert record["url"] == "https://api.g2a.com/oauth/token?client_secret=***"
    assert record["path"] == "/run/***/key"
    assert record["nested"] == [{"cause": "RuntimeError: ***"}]


@dataclasses.dataclass
class _Login:
    user: str
    password: str = dataclasses.field(repr=False)


def test_a_dataclass_is_logged_as_the_fields_its_repr_shows(json_log: io.StringIO) -> None:
    """python-json-logger writes a dataclass as its fields (`asdict`), `repr=False` ones too:
    a hidden field is left out, whether or not it holds a secret the masker knows."""
    record = _logged(json_log, login=_Login("app", "hunter2"), plain=_Login("app", "public"))
    assert record["login"] == {"user": "app"}
    assert record["plain"] == {"user": "app"}


def test_the_json_formatter_alone_writes_a_dataclass_as_the_fields_its_repr_shows() -> None:
    """A handler a service configures with `json_formatter()` and no `MaskingFilter`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    record = logging.makeLogRecord({"msg": "m", "login": _Login("app", "hunter2")})
    handler.handle(record)
    assert json.loads(stream.getvalue())["login"] == {"user": "app"}


def test_delivered_stock_is_logged_as_its_repr_shows_it(json_log: io.StringIO) -> None:
    """Keys, passwords and files are no secrets the masker knows: their own `__repr__` hides
    them, and so does the JSON line, inside containers too."""
    item = InventoryItem("1-1", "GAMEKEY-AAAA-1111")
    account = InventoryAccount(
        "player", "AccountPassw0rd!", "p@e.com", "MailPassw0rd!", (AccountDetail("pin", "1234"),)
    )
    file = InventoryFile(b"SECRETFILEBYTES", "k.png", "image/png")
    delivered = DeliveredStock(7, 1, [item])
    logging.getLogger("shop").info(
        "delivered %s", item, extra={"account": account, "file": file, "stock": delivered}
    )
    record = json.loads(json_log.getvalue())
    assert record.pop("asctime")
    assert record == {
        "level": "INFO",
        "logger": "shop",
        "message": "delivered InventoryItem(id='1-1', value=***, kind='text')",
        "account": {"username": "player"},
        "file": {"file_name": "k.png", "mime_type": "image/png"},
        "stock": {
            "product_id": 7,
            "inventory_size": 1,
            "inventory": [{"id": "1-1", "kind": "text"}],
        },
    }


@dataclasses.dataclass
class _Pool:
    dsn: str
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


def test_a_dataclass_whose_fields_cannot_be_copied_is_masked_field_by_field() -> None:
    pool = _Pool("postgresql://app:hunter2@db/app")
    record = logging.makeLogRecord({"pool": pool})
    MaskingFilter(SecretMasker(["hunter2"])).filter(record)
    assert record.pool == {"dsn": "postgresql://app:***@db/app", "lock": pool.lock}


@dataclasses.dataclass
class _Connection:
    host: str

    def __str__(self) -> str:  # shows what no field holds
        return f"redis://:hunter2@{self.host}/0"


def test_a_dataclass_whose_text_shows_a_secret_no_field_holds_is_masked_as_its_text() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "m", None, None)
    record.conn = _Connection("db1")
    MaskingFilter(SecretMasker(["hunter2"])).filter(record)
    assert record.conn == "redis://:***@db1/0"


def test_a_dataclass_whose_fields_cannot_be_copied_is_written_even_without_a_secret(
    json_log: io.StringIO,
) -> None:
    """python-json-logger writes a dataclass with `asdict`, which would fail on it: the line
    would be lost. Its fields are written instead, the lock as its text."""
    pool = _Pool("postgresql://app@db/app")
    record = _logged(json_log, pool=pool)
    assert record["pool"] == {"dsn": "postgresql://app@db/app", "lock": str(pool.lock)}


def test_numbers_and_objects_without_a_secret_are_left_as_they_are() -> None:
    error = ValueError("nothing to hide")
    record = logging.makeLogRecord({"n": 2, "ok": True, "none": None, "ratio": 0.5, "e": error})
    assert MaskingFilter(SecretMasker(["hunter2"])).filter(record)
    values = (record.n, record.ok, record.none, record.ratio, record.e)  # type: ignore[attr-defined]
    assert values == (2, True, None, 0.5, error)
    assert record.e is error  # type: ignore[attr-defined]


def test_a_dataclass_that_hides_nothing_and_holds_no_secret_stays_itself() -> None:
    """For a text format (`%(level)s` prints its repr) and the handlers after the filter."""
    level = StockLevel(7, 3)
    item = InventoryItem("9", "GAMEKEY-1")
    record = logging.makeLogRecord({"level": level, "item": item})
    assert MaskingFilter(SecretMasker(["hunter2"])).filter(record)
    assert record.level is level  # type: ignore[attr-defined]
    assert record.item == {"id": "9", "kind": "text"}  # type: ignore[attr-defined]


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")

    def __repr__(self) -> str:
        return "<conn password=hunter2>"


def test_an_object_whose_str_fails_is_masked_as_its_repr() -> None:
    record = logging.makeLogRecord({"conn": _Unprintable()})
    assert MaskingFilter(SecretMasker(["hunter2"])).filter(record)
    assert record.conn == "<conn password=***>"  # type: ignore[attr-defined]


def test_a_secret_in_a_logged_repr_is_masked() -> None:
    """`%r` of a body, or of a dict holding the secret, doubles each backslash (and escapes
    quotes): the JSON and PHP spellings get a backslash more."""
    secret = "s3cr/t+Val?ue~with/slash>>>??"
    encoded = base64.b64encode(f"client-id:{secret}".encode()).decode()
    php = json.dumps({"client_secret": secret, "h": f"Basic {encoded}"}).replace("/", "\\/")
    masked = SecretMasker([secret])(repr(php.encode()))
    assert masked == """b'{"client_secret": "***", "h": "Basic ***"}'"""
    quoted = "Zq8/xK2+pL9\\mN4\"wQ7'"
    assert SecretMasker([quoted])(repr({"client_secret": quoted})) == "{'client_secret': '***'}"
    accented = "pässwörd-1234"
    assert SecretMasker([accented])(repr(accented.encode())) == "b'***'"


@pytest.mark.parametrize("secret", ["ab'cdEFGH12", "päss'word9", "päss/word9"])
def test_a_secret_in_the_repr_of_a_json_body_is_masked(secret: str) -> None:
    """A JSON body holds both quotes, so its repr is `'`-quoted and escapes each `'`; its bytes
    repr escapes non-ASCII as `\\xNN`, whatever the JSON encoder wrote."""
    written = [
        json.dumps({"client_secret": secret, "note": "it's"}),
        json.dumps({"client_secret": secret, "note": "it's"}, ensure_ascii=False),
        json.dumps({"client_secret": secret}, ensure_ascii=False).replace("/", "\\/"),
    ]
    masker = SecretMasker([secret])
    for body in written:
        for shown in (repr(body), repr(body.encode()), ascii(body)):
            value = masker(shown).split('client_secret": "', 1)[1]
            assert value.startswith('***"'), shown


@pytest.mark.parametrize(
    "secret",
    ["s3cr3t/Va$lue+xyz=AB", "ab'cdefgh1", 'ab"cdefgh2', "line\nbreak99", "pä'ss\"wörd\x12"],
)
def test_a_secret_in_a_repr_of_a_repr_is_masked(secret: str) -> None:
    """An exception's repr, holding the repr of a body: backslashes doubled twice."""
    encoded = base64.b64encode(f"client-id:{secret}".encode()).decode()
    body = json.dumps({"client_secret": secret, "h": f"Basic {encoded}", "x": "it's"})
    masker = SecretMasker([secret])
    for php in (False, True):
        text = body.replace("/", "\\/") if php else body
        for shown in (repr(ValueError(f"bad {text!r}")), repr(repr({"b": text}))):
            masked = masker(shown)
            assert masked.count("***") == 2, shown


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_configured_logging_masks_what_it_writes_and_leaves_the_record_to_other_handlers(
    monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    """pytest's caplog, an error tracker's handler or the service's own still get the record
    as logged (its arguments, its exception, its extra fields), whatever their order."""
    monkeypatch.setenv("G2A_LOG_FORMAT", log_format)
    stream, kept, root = io.StringIO(), _Kept(), logging.getLogger()
    level = root.level
    handler = configure_logging(secrets=["hunter2"], stream=stream)
    root.addHandler(kept)
    try:
        try:
            raise ValueError("password hunter2 refused")
        except ValueError:
            logging.getLogger("svc").exception("cart %s: %s", "c1", "hunter2", extra={"k": b"x"})
    finally:
        root.removeHandler(kept)
        root.removeHandler(handler)
        root.setLevel(level)

    (record,) = kept.records
    assert (record.msg, record.args, record.k) == ("cart %s: %s", ("c1", "hunter2"), b"x")  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "password hunter2 refused"
    written = stream.getvalue()
    assert "hunter2" not in written
    assert "cart c1: ***" in written
    assert "ValueError: password *** refused" in written
