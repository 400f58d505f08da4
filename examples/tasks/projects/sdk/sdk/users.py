from sdk.client import fetch_json


def get_user(user_id):
    return fetch_json("/users/%d" % user_id)


def search_users(name, limit=20):
    return fetch_json("/users", {"q": name, "limit": limit}, 30)
