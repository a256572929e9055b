"""Warehouses and pharmacies, stock levels and the stock ledger."""
