"""Behaviour of the helpers, and no use of the deprecated call."""
import unittest
import warnings

from sdk import orders, users


class SdkTest(unittest.TestCase):
    def test_results(self):
        self.assertEqual(users.get_user(3)["path"], "/users/3")
        self.assertEqual(users.search_users("ada")["timeout"], 30)
        self.assertEqual(orders.list_orders(5)["params"], {"user": 5})

    def test_no_deprecated_calls(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            users.get_user(1)
            users.search_users("x")
            orders.list_orders(1)


if __name__ == "__main__":
    unittest.main()
