"""The public market: supermarket, needs list, detail pages, organisation pages."""
