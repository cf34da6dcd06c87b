//! Seeded, shuffled minibatches of row indices.

use crate::error::{Error, Result};
use crate::numeric::Rng;

/// The minibatches of one epoch: the indices `0..n` in a seeded random order, cut into batches.
///
/// The order depends only on `(seed, epoch)`, so a run can be repeated exactly, or resumed at any
/// epoch. The last batch is shorter when `batch` does not divide `n`.
///
/// ```
/// use engram::train::Minibatches;
/// let batches: Vec<Vec<usize>> = Minibatches::new(10, 4, 7, 0).unwrap().collect();
/// assert_eq!(batches.len(), 3);
/// let mut all: Vec<usize> = batches.concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone)]
pub struct Minibatches {
    order: Vec<usize>,
    batch: usize,
    next: usize,
}

impl Minibatches {
    /// The batches of epoch `epoch` over `n` rows, `batch` rows each.
    pub fn new(n: usize, batch: usize, seed: u64, epoch: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::Empty("no rows to batch".into()));
        }
        if batch == 0 {
            return Err(Error::param("batch", "must be at least 1"));
        }
        let mut order: Vec<usize> = (0..n).collect();
        Rng::stream(seed, epoch).shuffle(&mut order);
        Ok(Minibatches {
            order,
            batch,
            next: 0,
        })
    }

    /// How many batches the epoch has.
    pub fn count(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }
}

impl Iterator for Minibatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch).min(self.order.len());
        let rows = self.order[self.next..end].to_vec();
        self.next = end;
        Some(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_differ_and_repeat() {
        let a: Vec<_> = Minibatches::new(50, 8, 1, 0).unwrap().collect();
        let b: Vec<_> = Minibatches::new(50, 8, 1, 0).unwrap().collect();
        let c: Vec<_> = Minibatches::new(50, 8, 1, 1).unwrap().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 7);
        assert_eq!(a.last().unwrap().len(), 2);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(Minibatches::new(0, 4, 1, 0).is_err());
        assert!(Minibatches::new(4, 0, 1, 0).is_err());
    }
}
