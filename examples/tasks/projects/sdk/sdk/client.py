"""The SDK's HTTP layer. fetch_json() is deprecated: use request() (see MIGRATION.md)."""
import warnings


def request(method, path, *, params=None, timeout=10):
    """The one call every helper should use. Returns a dict describing the request."""
    return {"method": method, "path": path, "params": params or {}, "timeout": timeout}


def fetch_json(path, query=None, secs=10):
    """Deprecated since 2.0: request("GET", path, params=query, timeout=secs)."""
    warnings.warn("fetch_json is deprecated; use request()", DeprecationWarning, stacklevel=2)
    return request("GET", path, params=query, timeout=secs)
