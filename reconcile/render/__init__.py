"""Everything the tool shows people: plans (text, markdown, JSON), apply progress and summaries, drift,
diffs, history and the HTML/Markdown report. Renderers take plain data and never call the engine."""
