"""Everything that knows HTTP: blueprints, forms, hooks and access policies."""
