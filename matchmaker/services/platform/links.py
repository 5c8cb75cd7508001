"""Links that leave the site (e-mails, digests, invitations, printed reset links), built from the
configured public address (`PUBLIC_URL`), never from the request (SECURITY.md row 8,
v5.0.0-14.2.1: a request with `Host: evil.example` must not make the platform mail a valid reset
token to evil.example).

- `PUBLIC_URL` (`MATCHMAKER_PUBLIC_URL`): the site's address as its users type it, scheme and host
  (and port) only, e.g. `https://kjcg.jl.example`. Production refuses to start without it
  (`configure`, called by create_app). Existing deployments that set `MATCHMAKER_SERVER_NAME`
  keep working: without `PUBLIC_URL`, `<PREFERRED_URL_SCHEME>://<SERVER_NAME>` is used.
  Development and testing default to `http://localhost:5000` (`DevelopmentConfig`), whatever
  host a request names.
- `TRUSTED_HOSTS` (Flask 3.1; `MATCHMAKER_TRUSTED_HOSTS`, a JSON list or names separated by
  commas): in production, unset means the public URL's host alone, so a request naming another
  `Host` is answered 400. Add the names a load balancer's health check or a Prometheus scrape
  uses (`["kjcg.jl.example", "10.0.0.5"]`; a name starting with a dot accepts its subdomains).

`external_url(endpoint, **values)` is `url_for(..., _external=True)` against the public URL:
usable in a request, a CLI command or a job (an application context is enough). The JSON API's
`url` fields stay request-relative (they answer the client that asked; in production its `Host`
is one of `TRUSTED_HOSTS`), and so do the in-app notification links (paths); `absolute(path)`
turns such a path into a public link for the e-mail that carries it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from flask import Flask, current_app
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from matchmaker import ConfigurationError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: What a development or test run links to when no PUBLIC_URL is set (`make run`'s address).
DEVELOPMENT_PUBLIC_URL = "http://localhost:5000"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")


def parse_public_url(value: str) -> str:
    """The normalised public URL (`scheme://host[:port]`, host in lower case, IDNA-encoded), or
    ValueError saying what is wrong: another scheme, no host, a user name, a path, a query or a
    fragment (links are built as the public URL followed by the route's path)."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} must start with https:// (or http://)")
    if "@" in parts.netloc:
        raise ValueError(f"{value!r} must not carry a user name or password")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
        port = parts.port
    except (UnicodeError, ValueError) as error:
        raise ValueError(f"{value!r} has an invalid host or port ({error})") from None
    if not host or not (_HOST.fullmatch(host) or _IPV6.fullmatch(f"[{host}]")):
        raise ValueError(f"{value!r} has no valid host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{value!r} must be the scheme and host only, without a path or query")
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}"


def trusted_hosts_of(public_url: str) -> list[str]:
    """TRUSTED_HOSTS derived from the public URL: its host name (Werkzeug ignores the port)."""
    host = urlsplit(public_url).hostname or ""
    return [host]


def configure(app: Flask) -> None:
    """Settle PUBLIC_URL and TRUSTED_HOSTS when the app is built (create_app): validate the
    configured address, fall back to SERVER_NAME, and in production refuse to start without
    one and answer only requests naming its host (unless TRUSTED_HOSTS says otherwise)."""
    config = app.config
    production = config.get("ENV_NAME", "production") == "production"
    configured = config.get("PUBLIC_URL") or None
    if configured is None and config.get("SERVER_NAME"):
        scheme = config.get("PREFERRED_URL_SCHEME") or "https"
        configured = f"{scheme}://{config['SERVER_NAME']}"
    if configured is None:
        if production:
            raise ConfigurationError(
                "MATCHMAKER_PUBLIC_URL is not set. Set it to the site's public address, e.g. "
                "MATCHMAKER_PUBLIC_URL=https://kjcg.jl.example: the links in e-mails (password "
                "reset, verification, invitations, digests) are built from it, never from the "
                "request's Host header (docs/deploy.md, Settings)."
            )
        configured = DEVELOPMENT_PUBLIC_URL
    try:
        config["PUBLIC_URL"] = parse_public_url(str(configured))
    except ValueError as error:
        raise ConfigurationError(f"MATCHMAKER_PUBLIC_URL: {error}.") from None
    hosts = config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [name.strip() for name in hosts.split(",") if name.strip()]
    if hosts is None and production:
        hosts = trusted_hosts_of(config["PUBLIC_URL"])
    config["TRUSTED_HOSTS"] = list(hosts) if hosts is not None else None
    if config["TRUSTED_HOSTS"]:
        app.wsgi_app = TrustedHosts(app.wsgi_app, config["TRUSTED_HOSTS"])  # type: ignore[method-assign]


#: The answer to a request naming a host that is not ours (no page of the site: its links and
#: templates would name that host).
UNTRUSTED_HOST_BODY = (
    "400 错误的请求：不是本站的主机名。\nBad Request: not this site's host name.\n"
)


class TrustedHosts:
    """WSGI middleware: 400 for a request whose Host (after ProxyFix, which wraps it) is not one
    of `hosts`, before Flask builds anything from it. Flask's own TRUSTED_HOSTS check refuses
    the same requests, but then cannot build the error page's links."""

    def __init__(self, wsgi_app: WSGIApplication, hosts: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        self.hosts = list(hosts)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            body = UNTRUSTED_HOST_BODY.encode()
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
            return [body]
        return self.wsgi_app(environ, start_response)


def public_url() -> str:
    """The configured public address, without a trailing slash."""
    return str(current_app.config.get("PUBLIC_URL") or DEVELOPMENT_PUBLIC_URL)


def absolute(link: str) -> str:
    """A site path (`/my/results/3`) as a public link; anything else (already absolute) as is."""
    if link.startswith("/") and not link.startswith("//"):
        return public_url() + link
    return link


def external_url(endpoint: str, /, **values: Any) -> str:
    """`url_for(endpoint, **values, _external=True)` on the public URL, whatever the request's
    Host says (and without a request: in a CLI command or a job). `_anchor` is honoured."""
    app = current_app
    base = urlsplit(public_url())
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name="/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(str(anchor), safe="%!#$&'()*+,/:;=?@")
    return url
