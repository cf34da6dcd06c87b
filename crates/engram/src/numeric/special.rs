//! Special functions (placeholder, being written).
