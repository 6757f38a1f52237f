"""Passwords a store URL carries: in its user info (`user:pw@host`) and, as the drivers also
read them, in its query (`?password=pw`). Both are masked wherever the URL is shown.

The user info is everything between `://` and the last `@`, not what `urlsplit` finds: its host
ends at the first `/`, `?` or `#`, so a generated password holding one of them unencoded would
pass for a path or a query, shown in clear. Such a URL reads differently to different parsers,
as does one with two `@` (libpq ends the user info at the first, urlsplit and redis-py at the
last) or an `@` in its path or query: `userinfo_is_ambiguous` finds them, to be refused.
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus

from g2a_adapter._observability import MASK

_PASSWORD_PARAMETERS = frozenset({"password", "passwd", "pass"})
_AUTHORITY_ENDS = ("/", "?", "#")

AMBIGUOUS_USERINFO = (
    "has a second '@', or one after a '/', '?' or '#', so a driver may read another password "
    "or host than meant: percent-encode the user name and password ('/' as %2F, '?' %3F, "
    "'#' %23, '@' %40) and any '@' in the path or query"
)


def _authority_and_rest(url: str) -> str:
    """The text after `://` when it starts with an authority (not `scheme:///path`), else ''."""
    _, separator, rest = url.partition("://")
    return rest if separator and not rest.startswith(_AUTHORITY_ENDS) else ""


def _userinfo(url: str) -> tuple[str, str]:
    """(the user info, the text after it): everything between `://` and the last `@`."""
    userinfo, at, after = _authority_and_rest(url).rpartition("@")
    return (userinfo, after) if at else ("", url)


def userinfo_is_ambiguous(url: str) -> bool:
    """True unless the URL has at most one `@` after `://`, before the end of the host as
    `urlsplit` reads it (the first `/`, `?` or `#`): only then do all parsers agree."""
    rest = _authority_and_rest(url)
    ends = [index for index in map(rest.find, _AUTHORITY_ENDS) if index >= 0]
    return rest.count("@") > 1 or "@" in rest[min(ends, default=len(rest)) :]


def _query_passwords(text: str) -> list[str]:
    """The password parameters of `text`'s query, as `urlsplit` reads it."""
    query = text.partition("#")[0].partition("?")[2]
    found = []
    for field in query.split("&"):
        name, sep, value = field.partition("=")
        if sep and value and unquote_plus(name).lower() in _PASSWORD_PARAMETERS:
            found.append(value)
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
