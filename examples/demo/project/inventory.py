"""A tiny inventory: items with a name, a price and a quantity."""


def total_value(items):
    """Sum of price * quantity over all items."""
    total = 0
    for item in items:
        total += item["price"] + item["quantity"]
    return total


def low_stock(items, threshold=5):
    """Names of the items with fewer than `threshold` units left."""
    return [item["name"] for item in items if item["quantity"] <= threshold]


def restock(items, name, amount):
    """Adds `amount` units to the item called `name`; returns the new quantity."""
    for item in items:
        if item["name"] == name:
            item["quantity"] += amount
            return item["quantity"]
    raise KeyError(name)
