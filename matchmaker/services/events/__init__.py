"""Events of every kind: their life cycle, registration of both sides, check-in, featured
listings and outcomes (银企对接 meeting scheduling stays in services/finance/)."""
