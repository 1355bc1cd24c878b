"""Verification: ``[[check]]`` assertions evaluated per org, and ``[[manual_step]]`` steps tracked per org
(DESIGN.md §4b). ``entry`` holds their configuration models, ``results`` the results, ``runner`` runs the
checks of many orgs in parallel, ``evaluate`` one check in one org, ``manual`` what is pending and how a
confirmation is recorded."""
