import re
import unicodedata


def slugify(text, sep="-", max_len=None):
    """URL-safe slug of text: ASCII letters and digits joined by sep, lower case."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", sep, norm.lower()).strip(sep)
    return slug[:max_len].rstrip(sep) if max_len else slug


def _collapse(s):
    return re.sub(r"\s+", " ", s)
