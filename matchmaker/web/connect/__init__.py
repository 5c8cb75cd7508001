"""对接 pages: the new-enquiry form, the inbox, the enquiry that becomes the conversation.

Routes live in views.py (form, inbox, page, download), answer_views.py (the owner's and the
sender's answers), conversation_views.py (messages, close, report, block) and
introduction_views.py (brokers' introductions and the need owner's consent).
"""

from matchmaker.web.connect import (  # noqa: F401  (each module adds its routes to bp)
    answer_views,
    conversation_views,
    introduction_views,
    views,
)
from matchmaker.web.connect.blueprint import bp

__all__ = ["bp"]
