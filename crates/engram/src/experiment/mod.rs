//! Experiments that return tables: measured capacities, paper reproductions, and the published
//! formulas they are compared with.

pub mod capacity;
pub mod krotov2016;
pub mod theory;
