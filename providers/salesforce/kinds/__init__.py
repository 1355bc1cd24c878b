"""One module per resource kind: how the Salesforce provider reads, preflights and writes it."""
