"""The SOAP endpoints: ``dispatch`` checks the session and the API limit and hands a request to the
Metadata API (``metadata``) or Apex (``apex``) endpoint; ``envelope`` reads requests and writes responses
and faults, ``xml`` reads and writes the elements inside them. The Metadata API's component types live in
the ``metadata`` package beside this one.
"""
