"""Commands over many orgs at once: drift across the fleet, org-to-org diff, import of live
configuration as TOML, and stable sharding of orgs across runners."""
