import unittest

import users


class UsersTest(unittest.TestCase):
    def setUp(self):
        self.con = users.open_db()

    def test_find(self):
        self.assertEqual(users.find_user(self.con, "ada")[2], "admin")

    def test_role(self):
        self.assertEqual(users.users_with_role(self.con, "admin"), ["ada"])

    def test_quote_in_name(self):
        self.assertEqual(users.find_user(self.con, "o'brien")[1], "o'brien")

    def test_injection_is_data(self):
        self.assertIsNone(users.find_user(self.con, "x' OR '1'='1"))


if __name__ == "__main__":
    unittest.main()
