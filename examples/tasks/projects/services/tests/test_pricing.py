import unittest

from services.pricing import PricingService


class PricingTest(unittest.TestCase):
    def test_with_tax(self):
        self.assertEqual(PricingService(0.2).with_tax(10), 12.0)


if __name__ == "__main__":
    unittest.main()
