import unittest

from inventory import low_stock, restock, total_value

ITEMS = [
    {"name": "bolt", "price": 2, "quantity": 10},
    {"name": "nut", "price": 1, "quantity": 5},
    {"name": "gear", "price": 30, "quantity": 1},
]


class InventoryTest(unittest.TestCase):
    def test_total_value(self):
        self.assertEqual(total_value(ITEMS), 2 * 10 + 1 * 5 + 30 * 1)

    def test_low_stock_is_strictly_below_the_threshold(self):
        self.assertEqual(low_stock(ITEMS, threshold=5), ["gear"])

    def test_restock(self):
        items = [dict(i) for i in ITEMS]
        self.assertEqual(restock(items, "nut", 3), 8)
        with self.assertRaises(KeyError):
            restock(items, "washer", 1)


if __name__ == "__main__":
    unittest.main()
