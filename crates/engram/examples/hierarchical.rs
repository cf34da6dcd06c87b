//! Hierarchical associative memory on the digits: complete masked digits with a two-layer
//! memory (pixels <-> stored digits) and a three-layer one (pixels <-> stored digits <->
//! classes), both as energy descent in the Lagrangian framework.
//!
//! ```sh
//! cargo run --release -p engram --example hierarchical [BETA_MEMORY BETA_CLASS ALPHA]
//! ```

use engram::experiment::hierarchical::{hierarchical_completion, HierarchicalOptions};

fn main() -> engram::Result<()> {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: BETA_MEMORY BETA_CLASS ALPHA"))
        .collect();
    let mut opts = HierarchicalOptions::default();
    if let [b1, b2, alpha] = args[..] {
        opts.beta_memory = b1;
        opts.beta_class = b2;
        opts.class_weight = alpha;
    }
    let result = hierarchical_completion(&opts)?;
    println!(
        "{:<8} {:<18} {:>10} {:>10} {:>8} {:>8} {:>7} {:>10} {:>10}",
        "network",
        "mask",
        "hidden mse",
        "completion",
        "memory",
        "class",
        "steps",
        "E start",
        "E end"
    );
    for r in &result.rows {
        println!(
            "{:<8} {:<18} {:>10.4} {:>9.1}% {:>7.1}% {:>8} {:>7.1} {:>10.3} {:>10.3}",
            r.network,
            r.mask,
            r.hidden_mse,
            100.0 * r.completion_accuracy,
            100.0 * r.memory_accuracy,
            r.class_accuracy
                .map_or("-".into(), |c| format!("{:.1}%", 100.0 * c)),
            r.mean_steps,
            r.energy_start,
            r.energy_end
        );
    }
    Ok(())
}
