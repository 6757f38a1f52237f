"""Passwords a store URL carries: in its user info (`user:pw@host`) and, as the drivers also
read them, in its query (`?password=pw`). Both are masked wherever the URL is shown."""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus, urlsplit

from g2a_adapter._observability import MASK

_PASSWORD_PARAMETERS = frozenset({"password", "passwd", "pass"})


def url_passwords(url: str) -> list[str]:
    """The URL's passwords, user info first, each as written and as the drivers decode it
    (`%2B` is `+`); none for a URL that does not parse."""
    try:
        parts = urlsplit(url)
        written = [parts.password] if parts.password else []
    except ValueError:
        return []
    for field in parts.query.split("&"):
        name, sep, value = field.partition("=")
        if sep and value and unquote_plus(name).lower() in _PASSWORD_PARAMETERS:
            written.append(value)
    forms: list[str] = []
    for value in written:
        for form in (value, unquote(value), unquote_plus(value)):
            if form not in forms:
                forms.append(form)
    return forms


def redacted_url(url: str) -> str:
    """The URL with every password replaced by the mask."""
    for password in url_passwords(url):
        url = url.replace(f":{password}@", f":{MASK}@").replace(f"={password}", f"={MASK}")
    return url
