//! experiment (being written).
