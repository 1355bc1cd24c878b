"""A Salesforce org in a process: an HTTPS server speaking the REST, Tooling, Metadata SOAP and Apex SOAP
wire protocols over a store persisted to a JSON org file.

Entry points: ``providers.emulator.embedded.start_emulator`` (in-process, returns an ``EmulatorHandle``),
``providers.emulator.serve.serve_main`` / ``reset`` (the ``reconcile emulator`` commands) and
``providers.emulator.org.store.Store`` (the org's data).

Layout: this folder holds the server (``server`` the WSGI application and its transport rules, ``embedded``
and ``serve`` to run it, ``tls``, ``context`` shared by every handler, ``wire`` the request and response
types, ``meter`` request counting and the daily limit, ``faults`` fault injection) and ``apex``, the
anonymous Apex check shared by Tooling and Apex SOAP. Then one package per part of Salesforce:
``rest`` (REST, Tooling REST, sObject Collections, composite, describe, limits), ``soap`` (envelopes,
Metadata API and Apex SOAP endpoints, dispatch), ``soql`` (the query language), ``metadata`` (Metadata API
components: names, XML, writes) and ``org`` (the store, ids, seed loading, org file, naming, picklists, flows).
Nothing here imports the engine, the state backends or the real provider.
"""
