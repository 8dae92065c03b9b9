"""Discount codes: sellers' codes, what they take off a price, and how often they were used."""
