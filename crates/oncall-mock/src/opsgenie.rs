//! Mock Opsgenie REST API (filled in by the Opsgenie probe work).
