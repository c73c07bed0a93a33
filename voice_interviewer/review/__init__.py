"""Looking back at sessions: replay, the HTML report, progress across sessions, export,
and the spaced-repetition order for reviewing weak questions."""
