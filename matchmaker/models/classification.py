"""Data classification: every column says how sensitive its data is (`info={"pii": level}`).

The level decides who may see the value and where it may go. `tests/test_classification.py`
checks that every column of every table carries one of these levels, that no public API answer
and no open-data file has a column of a protected level, and that the log formatter masks a
field named like a secret column (ASVS v5.0.0-14.1.1, 14.1.2; SECURITY.md row 38).

=============  =====================================================================================
Level          Protection rule
=============  =====================================================================================
``none``       No information about a person or an organisation's business: ids, foreign keys,
               states, flags, counters, timestamps, technical bookkeeping (jobs, the recommender's
               state). Anyone the record is shown to may see it; may be logged; may appear in
               public pages, the public API, open data and exports when its record does.
``public``     Published content: what an organisation or the platform puts on the public market
               (a listing's title and text, an organisation's name and region, an event's
               programme, a published price). Shown to everyone once its record is public (approved
               and listed), to the owner and the reviewers before; may be logged by id, not by
               text; may appear in the public API, open data (aggregated) and exports.
``consented``  Personal data a person chose to publish: an expert profile's name, title, unit,
               directions and biography (and its contact when `contact_public`), a verified
               broker's licence and profile. Public only in the approved public profile while the
               person keeps it published; never logged, never in open data; exports only to the
               keeper organisation and admins.
``internal``   An organisation's or the platform's working data that is not published: review
               reasons, notes, messages, proposals, terms, job results, panel scores, uploaded
               files' names (shown wherever the file itself may be downloaded). Only the parties of
               the record and admins (and the bureau in aggregate); never on public pages, the
               public API or open data; may be logged by id and code, never by free text.
``personal``   Identifies or describes a natural person: a user's name, a contact person on a
               listing, locale and preferences, last sign-in. The person, their organisation's
               members where the feature needs it, the other party of an accepted 对接, admins;
               never public (one exception: a verified broker's account name heads the broker's
               public page, which the broker asked for by registering), never in open data, never
               logged (log the user id instead).
``contact``    A way to reach a person: e-mail addresses and phone numbers (and the mail queue's
               arguments, which name recipients). As `personal`, and shown to another organisation
               only after the owner agreed (an accepted enquiry); never in public API answers or
               open data; masked in logs (logs.py masks e-mail local parts and phone numbers).
``financial``  An organisation's money and credit: revenue, R&D spend, loan amounts, approved and
               disbursed credit, deal amounts and fees, credit scores, financing needs. The firm,
               its counterparty, a bank only with the firm's consent (`consent_grants`), admins
               and the bureau (aggregated, small counts suppressed); never public, never in open
               data except the suppressed aggregate turnover; never logged.
``security``   An account's security state that is no credential: when the second factor was
               enabled, the time step of the last accepted code. The user and admins; never public;
               may be logged.
``network``    Where a request came from: IP addresses, user agents. Admins (the audit log) and
               the security log only; kept no longer than the log retention.
``secret``     Credentials: password hashes, token hashes and nonces, second-factor secrets,
               recovery codes. Nobody sees them, not even admins; never rendered, exported or
               logged (the log formatter masks these field names); compared only in constant time.
=============  =====================================================================================
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

#: Every level, from the least to the most protected, with the one-line rule.
LEVELS: Final[dict[str, str]] = {
    "none": "no information about anyone: may appear and be logged anywhere its record does",
    "public": "published content: public once its record is listed",
    "consented": "personal data a person chose to publish: public snapshot only, never logged",
    "internal": "working data: the record's parties and admins only, never public",
    "personal": "about a natural person: never public, never logged",
    "contact": "reaches a person: shown only after consent, masked in logs",
    "financial": "money and credit: parties, consenting banks, admins; never public",
    "security": "account security state (second factor on since, last step): user and admins",
    "network": "request origin (IP, user agent): audit and security logs only",
    "secret": "credentials: never shown, exported or logged",
}

#: Levels that never appear in a public page, the public API or open data.
NOT_PUBLIC: Final = frozenset(
    {"internal", "personal", "contact", "financial", "security", "network", "secret"}
)
#: Levels that are never written to a log (masked by name or pattern if they get there).
NOT_LOGGED: Final = frozenset({"consented", "personal", "contact", "financial", "secret"})


def level_of(column: sa.Column[object]) -> str | None:
    """The column's level, or None when it carries none."""
    level = column.info.get("pii")
    return level if isinstance(level, str) else None


def columns_at(metadata: sa.MetaData, levels: set[str] | frozenset[str]) -> list[sa.Column[object]]:
    """Every column of the tables whose level is one of `levels`."""
    return [
        column
        for table in metadata.tables.values()
        for column in table.columns
        if level_of(column) in levels
    ]
