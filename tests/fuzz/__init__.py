"""schemathesis against the live app (`make fuzz`, run_api_fuzz.py); not collected by pytest."""
