//! A finite automaton run by a correlated dense associative memory (Burns 2024).
//!
//! The automaton reads a binary number, most significant bit first, and tracks its value modulo
//! 3 (`δ(q, b) = (2q + b) mod 3`). Each (state, bit) pair is one memory of a CDAM; the memory
//! graph links it to the memories of the next state. Every step clamps the input neurons to the
//! bit read and lets one hetero-associative update write the next state.
//!
//! ```sh
//! cargo run --release -p engram --example automaton            # a default string
//! cargo run --release -p engram --example automaton -- 1100101  # your own bits
//! ```

use engram::experiment::cdam::{CdamAutomaton, FiniteAutomaton};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "110100111010001".to_string());
    let bits: Vec<usize> = text
        .chars()
        .map(|c| match c {
            '0' => Ok(0),
            '1' => Ok(1),
            other => Err(format!("not a bit: {other:?}")),
        })
        .collect::<Result<_, _>>()?;
    let automaton = FiniteAutomaton::mod3();
    // 64 neurons code the state, 32 the input bit; attention inverse temperature 50.
    let net = CdamAutomaton::new(automaton.clone(), 64, 32, 50.0, 7)?;
    let want = automaton.run(0, &bits);
    let mut state = net.encode(0, 0);
    let mut prefix = 0u64;
    let mut right = 0;
    println!("bit  value mod 3  automaton  CDAM");
    for (t, &b) in bits.iter().enumerate() {
        state = net.step(state.view(), b)?;
        let got = net.decode(state.view());
        prefix = (2 * prefix + b as u64) % 3;
        right += usize::from(got == want[t]);
        println!(
            "{b}    {prefix:>11}  {:>9}  {got:>4}{}",
            want[t],
            if got == want[t] { "" } else { "  <- wrong" }
        );
    }
    println!(
        "{right}/{} transitions right; {text} is {} modulo 3",
        bits.len(),
        want.last().copied().unwrap_or(0)
    );
    Ok(())
}
