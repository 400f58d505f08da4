class PricingService:
    """Prices with discounts and tax."""

    def __init__(self, tax_rate=0.2):
        self.tax_rate = tax_rate

    def with_tax(self, amount):
        return round(amount * (1 + self.tax_rate), 2)

    def discount(self, amount, percent):
        if not 0 <= percent <= 100:
            raise ValueError("percent must be between 0 and 100")
        return round(amount * (100 - percent) / 100, 2)

    def bulk_price(self, unit, quantity):
        """10% off from 10 units, 20% off from 100."""
        percent = 20 if quantity >= 100 else 10 if quantity >= 10 else 0
        return self.discount(unit * quantity, percent)
