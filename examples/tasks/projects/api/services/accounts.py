ACCOUNTS = {1: {"name": "ada", "balance": 100}}


def get_account(account_id):
    try:
        return ACCOUNTS[account_id]
    except KeyError:
        return None


def withdraw(account_id, amount):
    acc = ACCOUNTS.get(account_id)
    if acc is None:
        raise LookupError("no account %d" % account_id)
    if amount > acc["balance"]:
        return {"error": "insufficient funds"}
    acc["balance"] -= amount
    return acc["balance"]
