from sdk import client


def list_orders(user_id):
    return client.fetch_json("/orders", query={"user": user_id})
