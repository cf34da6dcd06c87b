//! dynamics (being written).
