"""Secret masking: every configured secret's value, in every form a text may write it, as `***`."""

from __future__ import annotations

import base64
import html
import json
import re
import string
from collections.abc import Iterable
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

from g2a_adapter._line_breaks import LINE_BREAK, Unwrapped

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


class SecretMasker:
    """Replaces every configured secret value, wherever it appears, with `***`.

    A secret is also matched as URLs, form bodies, JSON and XML write it (`_written_forms`): G2A
    takes the seller client secret in the query of `GET /oauth/token`, where `$` and `/` are
    percent-encoded, and an access log or an HTTP library's debug line prints that query. In
    base64 (an HTTP Basic `Authorization` header holds `base64(client_id:secret)`), the whole
    base64 word that carries the secret is masked (`_base64_cores`), its `/` written as is or
    as JSON `\\/` (PHP's `json_encode` default), and wrapped over lines too (PEM, MIME), maybe
    indented or inside a JSON string: it then runs on into each next line that holds nothing
    else.
    """

    def __init__(self, secrets: Iterable[str], *, mask: str = MASK) -> None:
        """`mask` replaces each secret (`***` by default; a report may have its own word)."""
        self._mask = mask
        given = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
        self._pattern = _any_of(
            {form for s in given for form in _written_forms(s)},
            json_forms={form for s in given for form in _json_forms(s)},
        )
        self._base64 = _any_of({core for s in given for core in _base64_cores(s)})

    def __call__(self, text: str) -> str:
        if self._base64 is not None:
            text = self._mask_base64_words(text, self._base64)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda _: self._mask, text)  # the mask as is, never a template

    def _mask_base64_words(self, text: str, cores: re.Pattern[str]) -> str:
        """`text` with each base64 word that holds a secret's core replaced by `***`. A core
        is also found across line breaks; the word that holds it then runs over them too."""
        unwrapped = Unwrapped(text)
        pieces: list[str] = []
        done = 0
        for hit in cores.finditer(unwrapped.joined):
            start, end = unwrapped.span_in_text(*hit.span())
            if start < done:  # inside a word masked already
                continue
            wrapped = end - start > len(hit.group())
            start = _base64_word_start(unwrapped, start, done, wrapped)
            word_end = (_WRAPPED_BASE64_WORD_END if wrapped else _BASE64_WORD_END).match(text, end)
            pieces += [text[done:start], self._mask]
            done = word_end.end() if word_end else end
        return "".join([*pieces, text[done:]])


def _base64_word_start(unwrapped: Unwrapped, hit_start: int, done: int, wrapped: bool) -> int:
    """Back from `hit_start` to the start of its base64 word (over line breaks if `wrapped`),
    never before `done`, nor into a JSON escape (`\\t`, `\\u00e9`) just before the word."""
    text, start = unwrapped.text, hit_start
    while start > done:
        line_end = unwrapped.break_ending_at(start)
        if line_end is not None:  # a word runs on before a break only where it is wrapped
            if not (wrapped and line_end > done and text[line_end - 1] in _BASE64_WORD_CHARS):
                break
            start = line_end
        elif text[start - 1] in _BASE64_WORD_CHARS or (
            text[start - 1] == "\\" and text[start : start + 1] in ("/", "\\")
        ):
            start -= 1
        else:
            break
    escaped = _JSON_ESCAPE_LETTERS.match(text, start) if text[start - 1 : start] == "\\" else None
    return min(escaped.end(), hit_start) if escaped else start


def _any_of(forms: Iterable[str], json_forms: Iterable[str] = ()) -> re.Pattern[str] | None:
    """One pattern matching any of `forms`, the longest first (so none is left half-masked). A
    run of backslashes in a form matches a run of any length, and a quote any backslashes
    before it: a repr doubles each backslash and may escape a quote, and a repr of a repr (an
    exception's, holding a body's) does so again. In `json_forms` (as `json.dumps` writes
    them), the hex of each `\\u` escape matches in either case, digit by digit: encoders
    differ, and a body may mix them."""
    written = [(form, False) for form in forms] + [(form, True) for form in json_forms]
    if not written:
        return None
    by_length = sorted(written, key=lambda written: len(written[0]), reverse=True)
    patterns = dict.fromkeys(_nested(form, json_escapes) for form, json_escapes in by_length)
    return re.compile("|".join(patterns))


def _nested(form: str, json_escapes: bool) -> str:
    pieces, done = [], 0
    for escape in _REPR_ESCAPE.finditer(form):
        quote = escape.group()[-1]
        loose = _ANY_BACKSLASHES + re.escape(quote) if quote in "'\"" else _SOME_BACKSLASHES
        pieces += [re.escape(form[done : escape.start()]), loose]
        done = escape.end()
        # an odd run ends in a `\\u` escape; an even one is escaped backslashes only
        hex_digits = _JSON_UNICODE_HEX.match(form, done) if json_escapes else None
        if hex_digits and quote == "\\" and len(escape.group()) % 2:
            pieces.append(f"u(?i:{hex_digits[1]})")
            done = hex_digits.end()
    return "".join([*pieces, re.escape(form[done:])])


_REPR_ESCAPE = re.compile(r"\\*['\"]|\\+")  # a quote and the backslashes before it; a run
# Each run of backslashes is matched from its start only, and whole (possessive): so masking
# stays linear on text full of them.
_SOME_BACKSLASHES = r"(?<!\\)\\++"
_ANY_BACKSLASHES = r"(?<!\\)\\*+"


_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")
# What a URL's user info leaves unencoded beside letters, digits and `-._~`: WHATWG's user
# info set, as httpx (`URL(password=...)`) and browsers write a password
_USER_INFO_SAFE = "!$%&'()*+,"
_JSON_UNICODE_HEX = re.compile(r"u([0-9a-f]{4})")  # what follows the `\\` of a `\\u` escape
_JSON_ESCAPE_LETTERS = re.compile(r"[bfnrt]|u[0-9a-fA-F]{4}")  # base64 letters, yet no word's
# A base64 word: standard or URL-safe alphabet, maybe percent-encoded (`%2F`, `%3D`), its `/`
# maybe written `\/` (JSON, the PHP way), with more backslashes in reprs of that.
_BASE64_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "+/-_%")
_BASE64_WORD_CHAR = r"[A-Za-z0-9+/_%-]|\\+/"
_BASE64_WORD_END = re.compile(rf"(?:{_BASE64_WORD_CHAR})*=*")
# A wrapped word runs on over a line break only into a line that holds nothing else (up to the
# next break, a closing quote or the end): a line that starts with a word and goes on stays.
_BASE64_LINE = rf"(?:{_BASE64_WORD_CHAR})+=*(?:{LINE_BREAK}|[\"']|$)"
_WRAPPED_BASE64_WORD_END = re.compile(rf"(?:{_BASE64_WORD_CHAR}|{LINE_BREAK}(?={_BASE64_LINE}))*=*")
_URL_SAFE = str.maketrans("+/", "-_")
# Shorter cores could turn up by chance in other base64 text; a secret of 7 bytes or more
# has a core this long at every alignment.
_MIN_BASE64_CORE = 8


def _written_forms(secret: str) -> set[str]:
    """`secret` as is, percent-encoded as URLs, queries, forms and a URL's user info write it
    (upper- and lower-case hex) and escaped as a JSON string: a handful of literals, so
    masking stays one regular-expression pass."""
    written_by_urls = {quote_plus(secret), quote(secret, safe=_USER_INFO_SAFE)}
    encoded = _percent_encoded(secret) | _lower_hex_too(written_by_urls)
    return encoded | _in_reprs({secret} | _json_forms(secret)) | _markup_forms(secret)


def _markup_forms(secret: str) -> set[str]:
    """`secret` as XML and HTML write it in text and attributes: `&`, `<`, `>` escaped, and
    the quotes as each writer does (a JUnit report, an HTML page of results)."""
    return {xml_escape(secret), xml_escape(secret, {'"': "&quot;"}), html.escape(secret)}


def _in_reprs(forms: set[str]) -> set[str]:
    """`forms` as written, and as Python's `repr` and `ascii` show them inside a str or bytes
    literal (`%r` of a logged body or dict): unprintable or non-ASCII characters escaped. How
    many backslashes and which quotes a repr escapes, `_any_of` leaves open."""
    shown = set(forms)
    for form in forms:
        shown |= {repr(form)[1:-1], ascii(form)[1:-1], repr(form.encode())[2:-1]}
    return shown


def _percent_encoded(value: str) -> set[str]:
    """`value` percent-encoded as a query (`/` too) and a path (`/` kept) write it."""
    return _lower_hex_too({quote(value, safe=""), quote(value)})


def _lower_hex_too(forms: set[str]) -> set[str]:
    """`forms` and each with its percent escapes in lower-case hex."""
    return forms | {_PERCENT_ESCAPE.sub(lambda m: m.group().lower(), form) for form in forms}


def _json_forms(secret: str) -> set[str]:
    """`secret` inside a JSON string, as JSON encoders write it: non-ASCII as is or as `\\u`
    escapes (whose hex `_any_of` matches in any case), `/` as is or as `\\/` (PHP's
    `json_encode` default; G2A's official client is PHP, and bodies echoed back carry its
    spelling)."""
    plain = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return plain | {form.replace("/", "\\/") for form in plain}


def _base64_cores(secret: str) -> set[str]:
    """The base64 characters that `secret` alone decides in `base64(prefix + secret)`, for each
    of the three alignments a prefix (such as `client_id:`) can give it, in the standard and
    the URL-safe alphabets, as written, percent-encoded and with `/` escaped as JSON may."""
    data = secret.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
        first = -(-8 * offset // 6)  # the first character holding no bit of the prefix
        end = 8 * (offset + len(data)) // 6  # the first holding a bit after the secret
        if end - first >= _MIN_BASE64_CORE:
            core = encoded[first:end]
            cores |= _in_reprs({core, core.translate(_URL_SAFE), core.replace("/", "\\/")})
            cores |= _percent_encoded(core)
    return cores
