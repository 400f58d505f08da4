"""Tests of the v2 behaviour: they fail until the client is migrated."""
import json
import unittest

import twitter_client


class FakeSession:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def get(self, url, params=None):
        self.calls.append(("GET", url, params))
        return json.dumps(self.answers[url])

    def post(self, url, data=None, json_body=None):
        self.calls.append(("POST", url, json_body if json_body is not None else data))
        return json.dumps(self.answers[url])


V2 = "https://api.twitter.com/2"


class V2Test(unittest.TestCase):
    def test_lookup_user(self):
        s = FakeSession({V2 + "/users/by/username/ada": {"data": {"id": "42", "username": "ada"}}})
        self.assertEqual(twitter_client.lookup_user(s, "ada"), "42")

    def test_post_tweet(self):
        s = FakeSession({V2 + "/tweets": {"data": {"id": "7", "text": "hi"}}})
        self.assertEqual(twitter_client.post_tweet(s, "hi"), "7")
        self.assertEqual(s.calls, [("POST", V2 + "/tweets", {"text": "hi"})])


if __name__ == "__main__":
    unittest.main()
