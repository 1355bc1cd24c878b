"""The configuration: TOML files read with locations (``source``), their table models (``schema``),
loading and validation (``loader``), per-org expansion to desired resources (``expand``, ``desired``)
and the JSON Schema editors use (``json_schema``)."""
