//! Signed evidence bundles.
