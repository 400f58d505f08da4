"""A tiny Twitter client on the v1.1 API. See MIGRATION.md for the v2 endpoints."""
import json

BASE = "https://api.twitter.com/1.1"


def user_timeline(session, screen_name, count=20):
    """Texts of the user's latest tweets."""
    resp = session.get(BASE + "/statuses/user_timeline.json",
                       params={"screen_name": screen_name, "count": count})
    return [tweet["text"] for tweet in json.loads(resp)]


def post_tweet(session, text):
    """Posts a tweet; returns its id as a string."""
    resp = session.post(BASE + "/statuses/update.json", data={"status": text})
    return json.loads(resp)["id_str"]


def lookup_user(session, screen_name):
    """The user's numeric id as a string."""
    resp = session.get(BASE + "/users/show.json", params={"screen_name": screen_name})
    return json.loads(resp)["id_str"]
