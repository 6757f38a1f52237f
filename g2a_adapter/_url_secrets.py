"""Passwords a store URL carries: in its user info (`user:pw@host`) and, as the drivers also
read them, in its query (`?password=pw`). Both are masked wherever the URL is shown."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from g2a_adapter._observability import MASK

_PASSWORD_PARAMETERS = frozenset({"password", "passwd", "pass"})


def url_passwords(url: str) -> list[str]:
    """The URL's passwords, user info first; none for a URL that does not parse."""
    try:
        parts = urlsplit(url)
        passwords = [parts.password] if parts.password else []
    except ValueError:
        return []
    query = parse_qsl(parts.query, keep_blank_values=True)
    passwords += [value for name, value in query if name.lower() in _PASSWORD_PARAMETERS and value]
    return passwords


def redacted_url(url: str) -> str:
    """The URL with every password replaced by the mask."""
    for password in url_passwords(url):
        url = url.replace(f":{password}@", f":{MASK}@").replace(f"={password}", f"={MASK}")
    return url
