"""Translations: _("key") returns the text for the current language."""
MESSAGES = {
    "en": {"greeting": "Welcome back, {name}!"},
    "de": {"greeting": "Willkommen zurück, {name}!"},
}
LANG = "en"


def _(key, **kw):
    text = MESSAGES.get(LANG, {}).get(key) or MESSAGES["en"][key]
    return text.format(**kw)
