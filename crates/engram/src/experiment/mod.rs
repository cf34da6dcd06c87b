//! Experiments that return tables: measured capacities and the published formulas they are
//! compared with.

pub mod capacity;
pub mod theory;
