//! Mock PagerDuty REST API v2 (filled in by the PagerDuty probe work).
