"""The build report: the profiles (a core, a radio, a budget) and the report made from the measurements."""
