"""The Metadata API's components over the org: their fullNames (``names``), how store rows read as
component XML and how incoming components are parsed (``types``), and how updateMetadata /
upsertMetadata change the store (``writes``). The SOAP endpoint that serves them is ``soap.metadata``.
"""
