"""The org itself: its tables in memory (``data``, served thread-safely by ``store``), how they are built
from an org document (``seed``, ``seed_objects``) and written back to one (``file``), record ids (``ids``),
how Salesforce spells names (``naming``) and the org's picklist values as each API shows them
(``picklists``).

Nothing here knows HTTP, SOAP or SOQL: the API packages (``rest``, ``soap``, ``metadata``) read and
write the org through ``store.Store``.
"""
