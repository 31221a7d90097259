//! Release alert tests.
