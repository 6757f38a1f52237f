"""Secrets a store URL carries: the password in its user info (`user:pw@host`) and, as the
drivers also read them, those of its query: passwords (`?password=pw`, a TLS key's) and
libpq 18's OAuth client secret and SCRAM keys. Those are masked wherever the URL is shown;
any other query parameter is shown as written.

The authority ends at the first `/`, `?` or `#`, as every parser reads it, so an `@` in a path
or query (`?application_name=svc@pod`) is not part of it. A generated password holding one of
`/?#` unencoded would pass for a path or a query, shown in clear, and parsers read it
differently, as they do two `@` in the authority (libpq ends the user info at the first,
urlsplit and redis-py at the last): `userinfo_is_ambiguous` finds these, to be refused, and
their passwords are masked from everything up to the last `@`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus

from g2a_adapter._masking import MASK

# and the password of the client's TLS key: redis-py's `ssl_password`, libpq's `sslpassword`;
# and libpq's other secrets (since PostgreSQL 18): an OAuth client's, SCRAM's keys
_PASSWORD_PARAMETERS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "ssl_password",
        "sslpassword",
        "oauth_client_secret",
        "scram_client_key",
        "scram_server_key",
    }
)
_AUTHORITY_ENDS = ("/", "?", "#")

AMBIGUOUS_USERINFO = (
    "has a second '@' in its user info, or a '/', '?' or '#' before its '@', so a driver may "
    "read another password or host than meant: percent-encode the user name and password "
    "('/' as %2F, '?' %3F, '#' %23, '@' %40)"
)


# `host[:port]`: a name or an IPv4 address, or an IPv6 one in brackets; a port of digits
_HOST_AND_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:@\[\]]+)(:[0-9]*)?")


def _authority_and_rest(url: str) -> tuple[str, str]:
    """The text after `://` up to the first `/`, `?` or `#` (empty for `scheme:///path`), and
    what follows it; ('', '') without `://`."""
    _, separator, after = url.partition("://")
    if not separator:
        return "", ""
    end = min((i for i in map(after.find, _AUTHORITY_ENDS) if i >= 0), default=len(after))
    return after[:end], after[end:]


def userinfo_is_ambiguous(url: str) -> bool:
    """Whether parsers may read another password or host than meant: two `@` in the
    authority; or none there but one further on, in the path or after an authority that is no
    `host[:port]` (a password holding `/`, `?` or `#` unencoded). An `@` in the query of a URL
    whose authority reads plainly is not ambiguous."""
    authority, rest = _authority_and_rest(url)
    if authority.count("@") > 1:
        return True
    if not authority or "@" in authority or "@" not in rest:  # `scheme:///`: no user info
        return False
    path = rest.partition("?")[0].partition("#")[0]
    return "@" in path or not _HOST_AND_PORT.fullmatch(authority)


def _userinfo(url: str) -> tuple[str, str]:
    """(the user info, the text after it): the authority's, or for an ambiguous URL all up to
    the last `@` (masking more, never less)."""
    authority, rest = _authority_and_rest(url)
    if userinfo_is_ambiguous(url):
        userinfo, _, after = (authority + rest).rpartition("@")
        return userinfo, after
    userinfo, at, host = authority.rpartition("@")
    return (userinfo, host + rest) if at else ("", url)


def _query_passwords(text: str) -> list[str]:
    """The password parameters of `text`'s query, read past a `#` as libpq reads it (it has
    no fragment), each value also as `urlsplit` and redis-py read it (up to the `#`)."""
    query = text.partition("?")[2]
    found = []
    for field in query.split("&"):
        name, sep, value = field.partition("=")
        if sep and value and unquote_plus(name).lower() in _PASSWORD_PARAMETERS:
            found += [value, value.partition("#")[0]]
    return found


def url_passwords(url: str) -> list[str]:
    """The URL's passwords, user info first, each as written and as the drivers decode it
    (`%2B` is `+`). The query is read both from the start and after the user info, so an
    unencoded `?` or `#` in the password hides no query password."""
    userinfo, after = _userinfo(url)
    written = [userinfo.partition(":")[2]]
    for text in dict.fromkeys((url, after)):
        written += _query_passwords(text)
    forms: list[str] = []
    for value in filter(None, written):
        for form in (value, unquote(value), unquote_plus(value)):
            if form not in forms:
                forms.append(form)
    return forms


def redacted_url(url: str) -> str:
    """The URL with every password replaced by the mask."""
    for password in url_passwords(url):
        url = url.replace(f":{password}@", f":{MASK}@").replace(f"={password}", f"={MASK}")
    return url
