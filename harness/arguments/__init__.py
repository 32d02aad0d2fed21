"""What users type, read the same way by every front end: argument types checked as they are
parsed (`types`) and the include/exclude grammar that selects checks and scenarios (`selection`)."""
