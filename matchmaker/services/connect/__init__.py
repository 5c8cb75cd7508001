"""对接: enquiries to a listing's owner, the conversation after acceptance, blocks, reports,
reminders, response statistics and the funnel the platform records itself."""
