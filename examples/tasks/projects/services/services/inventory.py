class InventoryService:
    def __init__(self):
        self.stock = {}

    def add(self, sku, count):
        if count <= 0:
            raise ValueError("count must be positive")
        self.stock[sku] = self.stock.get(sku, 0) + count

    def remove(self, sku, count):
        have = self.stock.get(sku, 0)
        if count > have:
            raise KeyError("only %d of %s in stock" % (have, sku))
        self.stock[sku] = have - count

    def available(self, sku):
        return self.stock.get(sku, 0)
