//! Small graphs for the memory-graph experiments (adjacency matrices `(P, P)` with `0/1` entries;
//! an undirected edge appears in both directions).
//!
//! * [`ring`]: a cycle where every node links to its two neighbours.
//! * [`directed_cycle`]: `0 → 1 → … → P-1 → 0`, a temporal sequence.
//! * [`karate_club`]: Zachary's karate club (34 members, 78 friendships) with the two factions
//!   the club split into.
//! * [`hierarchical_partition`]: a planted partition with two levels of communities.
//! * [`hop_distances`]: breadth-first distances from one node.

use std::collections::VecDeque;

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::numeric::Rng;

/// An undirected cycle of `p` nodes (each linked to `i - 1` and `i + 1`, modulo `p`).
pub fn ring(p: usize) -> Array2<f32> {
    let mut a = Array2::zeros((p, p));
    if p > 1 {
        for i in 0..p {
            let j = (i + 1) % p;
            if i != j {
                a[[i, j]] = 1.0;
                a[[j, i]] = 1.0;
            }
        }
    }
    a
}

/// The directed cycle `0 → 1 → … → p-1 → 0`.
pub fn directed_cycle(p: usize) -> Array2<f32> {
    let mut a = Array2::zeros((p, p));
    for i in 0..p {
        a[[i, (i + 1) % p]] = 1.0;
    }
    a
}

/// Zachary's karate club friendship network, 0-indexed (member 0 is the instructor, "Mr. Hi";
/// member 33 is the club's administrator).
///
/// Source: W. W. Zachary, "An information flow model for conflict and fission in small groups",
/// Journal of Anthropological Research 33(4), 452–473 (1977): 34 members, 78 undirected
/// friendship ties observed outside the club (the unweighted matrix of his Table/Figure), as
/// distributed with NetworkX (`karate_club_graph`) and Newman's network data; the data are
/// public facts of the published paper.
#[rustfmt::skip]
pub const KARATE_EDGES: [(usize, usize); 78] = [
    (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (0, 10), (0, 11), (0, 12),
    (0, 13), (0, 17), (0, 19), (0, 21), (0, 31), (1, 2), (1, 3), (1, 7), (1, 13), (1, 17),
    (1, 19), (1, 21), (1, 30), (2, 3), (2, 7), (2, 8), (2, 9), (2, 13), (2, 27), (2, 28),
    (2, 32), (3, 7), (3, 12), (3, 13), (4, 6), (4, 10), (5, 6), (5, 10), (5, 16), (6, 16),
    (8, 30), (8, 32), (8, 33), (9, 33), (13, 33), (14, 32), (14, 33), (15, 32), (15, 33),
    (18, 32), (18, 33), (19, 33), (20, 32), (20, 33), (22, 32), (22, 33), (23, 25), (23, 27),
    (23, 29), (23, 32), (23, 33), (24, 25), (24, 27), (24, 31), (25, 31), (26, 29), (26, 33),
    (27, 33), (28, 31), (28, 33), (29, 32), (29, 33), (30, 32), (30, 33), (31, 32), (31, 33),
    (32, 33),
];

/// The members who sided with the instructor (member 0) after the split, in Zachary's 1977
/// account as distributed with NetworkX (the `club == "Mr. Hi"` attribute); everyone else
/// followed the administrator (member 33).
pub const KARATE_INSTRUCTOR_FACTION: [usize; 17] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21];

/// Zachary's karate club: the `(34, 34)` adjacency and each member's faction (0: instructor,
/// 1: administrator).
pub fn karate_club() -> (Array2<f32>, Vec<usize>) {
    let mut a = Array2::zeros((34, 34));
    for &(i, j) in KARATE_EDGES.iter() {
        a[[i, j]] = 1.0;
        a[[j, i]] = 1.0;
    }
    let faction = (0..34)
        .map(|i| usize::from(!KARATE_INSTRUCTOR_FACTION.contains(&i)))
        .collect();
    (a, faction)
}

/// A random graph with communities at two scales: `blocks` blocks of `block_size` nodes, the
/// blocks grouped in pairs (block `2k` and `2k + 1` form super-community `k`). Each pair of
/// nodes is linked independently with probability `p_in` inside a block, `p_mid` across blocks
/// of one super-community and `p_out` otherwise.
///
/// Returns the adjacency, each node's block and each node's super-community.
pub fn hierarchical_partition(
    blocks: usize,
    block_size: usize,
    p_in: f64,
    p_mid: f64,
    p_out: f64,
    seed: u64,
) -> Result<(Array2<f32>, Vec<usize>, Vec<usize>)> {
    for (name, p) in [("p_in", p_in), ("p_mid", p_mid), ("p_out", p_out)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::param(name, format!("must lie in [0, 1], got {p}")));
        }
    }
    if blocks == 0 || block_size == 0 {
        return Err(Error::param(
            "blocks",
            "need at least one block of one node",
        ));
    }
    let n = blocks * block_size;
    let block: Vec<usize> = (0..n).map(|i| i / block_size).collect();
    let group: Vec<usize> = block.iter().map(|b| b / 2).collect();
    let mut rng = Rng::new(seed);
    let mut a = Array2::zeros((n, n));
    for i in 0..n {
        for j in i + 1..n {
            let p = if block[i] == block[j] {
                p_in
            } else if group[i] == group[j] {
                p_mid
            } else {
                p_out
            };
            if rng.uniform() < p {
                a[[i, j]] = 1.0;
                a[[j, i]] = 1.0;
            }
        }
    }
    Ok((a, block, group))
}

/// Number of edges `source → target` needed to reach each node from `source` along the
/// positive entries of `adjacency`; `None` for nodes that cannot be reached.
pub fn hop_distances(adjacency: &Array2<f32>, source: usize) -> Vec<Option<usize>> {
    let p = adjacency.nrows();
    let mut dist = vec![None; p];
    if source >= p {
        return dist;
    }
    dist[source] = Some(0);
    let mut queue = VecDeque::from([source]);
    while let Some(u) = queue.pop_front() {
        let d = dist[u].expect("queued nodes have a distance");
        for v in 0..p {
            if adjacency[[u, v]] > 0.0 && dist[v].is_none() {
                dist[v] = Some(d + 1);
                queue.push_back(v);
            }
        }
    }
    dist
}

/// Rand index of two labelings of the same nodes: the fraction of node pairs on which they
/// agree (both together or both apart). 1 for identical partitions.
pub fn rand_index(x: &[usize], y: &[usize]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 1.0;
    }
    let mut agree = 0usize;
    for i in 0..n {
        for j in i + 1..n {
            agree += usize::from((x[i] == x[j]) == (y[i] == y[j]));
        }
    }
    agree as f64 / (n * (n - 1) / 2) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karate_club_has_zacharys_counts() {
        // Zachary 1977: 34 members and 78 ties; the instructor (0) has 16 friends and the
        // administrator (33) 17; the split left 17 members with each side.
        let (a, faction) = karate_club();
        assert_eq!(a.sum() as usize, 2 * 78);
        assert_eq!(a.row(0).sum() as usize, 16);
        assert_eq!(a.row(33).sum() as usize, 17);
        assert_eq!(faction.iter().filter(|&&f| f == 0).count(), 17);
        assert_eq!(a, a.t());
    }

    #[test]
    fn distances_and_rand_index() {
        let d = hop_distances(&ring(6), 0);
        assert_eq!(
            d,
            vec![Some(0), Some(1), Some(2), Some(3), Some(2), Some(1)]
        );
        assert_eq!(rand_index(&[0, 0, 1, 1], &[5, 5, 2, 2]), 1.0);
        assert!((rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) - 2.0 / 6.0).abs() < 1e-12);
    }
}
