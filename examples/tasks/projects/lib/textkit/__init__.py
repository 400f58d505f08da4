"""textkit: small text utilities."""
from textkit.slug import slugify
from textkit.wrap import wrap, dedent_all

__all__ = ["slugify", "wrap", "dedent_all"]
