def parse_amount(text):
    try:
        value = float(text)
    except ValueError:
        print("bad amount", text)
        return None
    if value <= 0:
        raise ValueError("amount must be positive")
    return value
