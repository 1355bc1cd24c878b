"""OAuth 2.0 as Salesforce offers it at ``/services/oauth2/``: the token endpoint and its grants
(``grants``, ``jwt_bearer``), ``userinfo`` and ``revoke`` (``endpoints``), and the sessions they issue
(``sessions``). The SOAP ``login`` call lives with the other SOAP paths (``soap/login.py``)."""
