//! pattern (being written).
