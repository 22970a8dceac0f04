"""Names and error messages, deterministic per (key, index), with the varying ids real errors carry.

Each template family is one "error group": the same failure with different ids, numbers, emails
and quoted values, which is what `record_errors` fingerprinting must fold together.
"""

from __future__ import annotations

import unicodedata

from sandbox.hashing import derive, hashes

FIRST_NAMES = (
    "José",
    "Zoë",
    "Łukasz",
    "美咲",
    "Ольга",
    "Björn",
    "Aoife",
    "Nnamdi",
    "María",
    "Chloé",
    "Ravi",
    "Søren",
)
LAST_NAMES = (
    "Núñez",
    "Müller",
    "Ødegaard",
    "佐藤",
    "Иванова",
    "O'Brien",
    "Smith",
    "García",
    "Kowalski",
    "Dubois",
)
REGIONS = ("CA", "NY", "TX", "Île-de-France", "Bayern", "São Paulo", "Ontario", "東京都")
SOURCES = (
    ("Postgresql", "Prod Postgres — ventes"),
    ("Snowflake", "Snowflake ANALYTICS"),
    ("BigQuery", "BQ marketing_ops"),
    ("Redshift", "Redshift finance"),
    ("Databricks", "Lakehouse (EU)"),
)
DESTINATIONS = (
    ("Salesforce", "Salesforce CRM"),
    ("Hubspot", "HubSpot — équipe ventes"),
    ("Zendesk", "Zendesk support"),
    ("Klaviyo", "Klaviyo newsletters"),
    ("Google Sheets", "Sheets: weekly KPIs ✓"),
    ("Slack", "Slack #alerts"),
)
STREAMS = (
    "public.customers",
    "public.orders",
    "analytics.accounts",
    "crm.contacts",
    "billing.invoices",
    "events.signups",
)

RUN_ERRORS = (
    "Connection to destination timed out after {ms}ms (request id {uuid})",
    'PG::UniqueViolation: ERROR:  duplicate key value violates unique constraint "users_pkey" '
    "DETAIL:  Key (id)=({n}) already exists.",
    "Salesforce API error INVALID_FIELD: No such column '{field}' on entity 'Account' (job {hex})",
    "HTTP 429 Too Many Requests from destination; gave up after {small} retries (batch {n})",
    "Authentication failed for user '{email}': token expired",
    "Échec de l'écriture : la table « {field} » est verrouillée (session {n})",
)
RECORD_ERRORS = (
    "Record {n} rejected: duplicate value for unique field email_address ('{email}')",
    "HTTP 400 from destination: INVALID_FIELD_FOR_INSERT_UPDATE on field {field} (request id {uuid})",
    "Row {n}: value '{word}' is not a valid integer for column amount",
    "Validation échouée : le champ « email » est obligatoire (ligne {n})",
    "Batch {n} dropped after {small} retries: destination returned 503 at {hex}",
)
FIELDS = ("Region__c", "Phone", "Lifecycle_Stage", "customers", "orders_archive", "Tier__c")
WORDS = ("N/A", "null", "—", "12,5", "∞", "TBD")


def _pick(options: tuple[str, ...], h: int) -> str:
    return options[h % len(options)]


def fill(template: str, key: int, i: int) -> str:
    """Fill a template's placeholders from hashes of (key, i): same inputs, same text."""
    h = [int(x) for x in hashes(derive(key, "fill"), [i * 8 + j for j in range(8)])]
    uuid = f"{h[0]:016x}{h[1]:016x}"
    uuid = f"{uuid[:8]}-{uuid[8:12]}-4{uuid[13:16]}-a{uuid[17:20]}-{uuid[20:32]}"
    first, last = _pick(FIRST_NAMES, h[2]), _pick(LAST_NAMES, h[3])
    return template.format(
        ms=1000 * (5 + h[4] % 56),
        uuid=uuid,
        n=h[5] % 900_000 + 1000,
        hex=f"{h[6]:012x}"[:12],
        field=_pick(FIELDS, h[7]),
        small=2 + h[4] % 4,
        email=f"{ascii_slug(first)}.{ascii_slug(last)}{h[5] % 1000}@example.com",
        word=_pick(WORDS, h[6]),
    )


def ascii_slug(name: str) -> str:
    """`Núñez` -> `nunez`: accents folded, other scripts dropped (e.g. for email local parts)."""
    folded = unicodedata.normalize("NFKD", name.lower()).replace("ø", "o").replace("ł", "l")
    slug = "".join(ch for ch in folded if ch.isascii() and ch.isalnum())
    return slug or "user"


def run_error(key: int, i: int, u: float) -> str:
    return fill(RUN_ERRORS[int(u * len(RUN_ERRORS)) % len(RUN_ERRORS)], key, i)


def record_error(key: int, i: int, u: float) -> str:
    return fill(RECORD_ERRORS[int(u * len(RECORD_ERRORS)) % len(RECORD_ERRORS)], key, i)
