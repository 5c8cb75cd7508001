"""科技金融: firm profiles, consent, the innovation score, products, needs, leads and events."""
