from i18n import _


def header(name):
    return _("greeting", name=name)


def empty_cart():
    return "Your cart is empty."


def checkout_button(count):
    return "Buy %d items" % count


def error_banner(code):
    return f"Something went wrong (error {code}). Please try again."
