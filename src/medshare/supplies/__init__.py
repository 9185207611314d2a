"""Emergency supplies: catalogue, stock, capacity, demand, allocation runs, shipments and the stock ledger."""
