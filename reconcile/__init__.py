"""sf-reconcile: declarative configuration for Salesforce orgs."""

__version__ = "0.1.0"
