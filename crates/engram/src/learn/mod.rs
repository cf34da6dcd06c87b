//! learn (being written).
