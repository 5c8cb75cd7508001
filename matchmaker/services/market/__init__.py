"""The market: results and needs, their publication, attachments, alerts and Excel."""
