import textwrap


def wrap(text, width=72, indent=""):
    return "\n".join(textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent))


def dedent_all(blocks):
    """Dedents every string in blocks; returns a new list."""
    return [textwrap.dedent(b) for b in blocks]
