"""The REST API under ``/services/data/vXX.X/``: ``routes`` maps paths to handlers and answers the small
resources (the resource list, ``limits``); ``queries`` runs ``query``/``queryAll`` for REST and Tooling;
``records`` holds the record-level rules that single-record calls, ``sobject_collections`` and
``composite`` share; ``describe`` answers the describe calls; ``tooling`` serves the Tooling API; ``schema``
says what each object looks like to SOQL and describe in the REST and the Tooling view.
"""
