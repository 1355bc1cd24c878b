"""How many profiles one ``readMetadata(Profile)`` call asks for: ``profile_read_batch()``.

Salesforce accepts at most 10 names a readMetadata call, and 10 is the default. A production profile's
body is large (thousands of field permissions, object permissions, class accesses, layout assignments
and record type visibilities in one answer), and ten of them in one answer can outlast a read timeout or
a proxy's response size limit; ``RECONCILE_PROFILE_READ_BATCH=N`` (1 to 10) reads N profiles a call
instead, at the cost of more calls. It is read from the environment on every batch of reads, so it
applies to every org of a run: it is a matter of the network between the tool and Salesforce, not of
what an org should look like, so it is not part of the configuration.
"""

from __future__ import annotations

import os

from reconcile.errors import ProviderError

ENV = "RECONCILE_PROFILE_READ_BATCH"
LIMIT = 10


def profile_read_batch() -> int:
    """Profiles per readMetadata call: ``RECONCILE_PROFILE_READ_BATCH`` or 10; ``ProviderError`` when the
    variable is set to anything but a whole number from 1 to 10."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT:
        raise ProviderError(
            f"{ENV}={raw!r}: profiles per readMetadata call must be a whole number from 1 to {LIMIT} "
            f"(Salesforce's limit); unset it to read {LIMIT} a call"
        )
    return int(raw)
