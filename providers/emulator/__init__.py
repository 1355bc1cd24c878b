"""A Salesforce org in a process: an HTTPS server speaking the REST, Tooling, Metadata SOAP and Apex SOAP
wire protocols over a store persisted to a JSON org file.

Entry points: ``providers.emulator.embedded.start_emulator`` (in-process, returns an ``EmulatorHandle``),
``providers.emulator.serve.serve_main`` / ``reset`` (the ``reconcile emulator`` commands) and
``providers.emulator.org.store.Store`` (the org's data).
"""
