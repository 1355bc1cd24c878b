"""Salesforce record ids: key prefixes, the case-safe checksum suffix, validation and deterministic minting.

A Salesforce id is 15 case-sensitive base-62 characters (a 3-character key prefix naming the object,
then instance and record digits) or the same 15 characters followed by a 3-character suffix that makes
the id unique case-insensitively. The suffix is computed from the 15 characters in three chunks of five:
bit ``i`` of a chunk is set when the chunk's ``i``-th character is an upper-case letter, and the 5-bit
value indexes ``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``.

Ids minted here are deterministic: the same (org, object type, natural key) always gives the same id,
so a hand-written seed gets the same ids on every load.
"""

from __future__ import annotations

import hashlib
import re

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

KEY_PREFIXES: dict[str, str] = {
    "Organization": "00D",
    "User": "005",
    "Profile": "00e",
    "PermissionSet": "0PS",
    "PermissionSetGroup": "0PG",
    "PermissionSetAssignment": "0Pa",
    "RecordType": "012",
    "Layout": "00h",
    "CustomField": "00N",
    "GlobalValueSet": "0Nt",
    "StandardValueSet": "0Nu",
    "CustomObject": "01I",
    "ProfileLayout": "01G",
    "ApexLog": "07L",
    "ValidationRule": "03d",
    "FlowDefinition": "300",
    "Flow": "301",
    "DuplicateRule": "0Bm",
    "CronTrigger": "08e",
    "CronJobDetail": "08a",
    "UserLicense": "100",
    "PermissionSetLicense": "0PL",
    "PermissionSetLicenseAssign": "2LA",
    "_RemoteSiteSetting": "0rp",
    "_NamedCredential": "0XA",
    "Group": "00G",
    "GroupMember": "011",
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Lead": "00Q",
    "Case": "500",
    "ObjectPermissions": "110",
    "FieldPermissions": "01k",
    "SetupEntityAccess": "0J0",
    "ApexClass": "01p",
    "AsyncApexJob": "707",
    "ApexTestQueueItem": "709",
    "ApexTestResult": "07M",
}

_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")


def checksum_suffix(id15: str) -> str:
    """Return the 3-character case-safe suffix of a 15-character id."""
    suffix = ""
    for chunk_start in range(0, 15, 5):
        bits = 0
        for offset, char in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        suffix += SUFFIX_ALPHABET[bits]
    return suffix


def to_18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id (an 18-character id is returned as is)."""
    return record_id if len(record_id) == 18 else record_id + checksum_suffix(record_id)


def is_well_formed(record_id: str) -> bool:
    """True when ``record_id`` is 15 base-62 characters, or 18 whose suffix is the correct checksum."""
    if not _ID_RE.match(record_id):
        return False
    return len(record_id) == 15 or record_id[15:] == checksum_suffix(record_id[:15])


def custom_object_prefix(api_name: str) -> str:
    """Deterministic key prefix ``a0X`` for a custom object, X a base-62 digit derived from its name."""
    digest = hashlib.sha256(api_name.lower().encode()).digest()
    return "a0" + BASE62[digest[0] % 62]


def mint(prefix: str, org_name: str, sobject: str, natural_key: str) -> str:
    """Deterministic valid 18-character id with ``prefix`` for (org, object type, natural key)."""
    digest = hashlib.sha256(f"{org_name}\x1f{sobject}\x1f{natural_key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    id15 = f"{prefix}Em0{digits}"
    return id15 + checksum_suffix(id15)
