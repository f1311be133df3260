//! The fuzz targets' smoke run, part of the normal test suite: every target over its seeds
//! (`fuzz/seeds/<target>/`, plus the definition files and sample CSV that ship with Sensate),
//! then over a fixed number of pseudo-random mutations of them from a fixed seed, so a run
//! is the same everywhere and a failure repeats. `scripts/fuzz` runs the coverage-guided
//! fuzzer for minutes instead; this catches a target or parser broken since.

use std::path::{Path, PathBuf};

use fuzz_targets::Verdict;

/// Mutations per target: a few thousand in all, a few seconds on the debug build.
const MUTATIONS_PER_TARGET: usize = 1_000;

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = seeds_dir(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    paths.sort();
    let mut seeds: Vec<Vec<u8>> = paths.iter().map(|path| std::fs::read(path).expect("a seed")).collect();
    match target {
        "program_definition" => seeds.extend(
            app::credentialing::programs::SHIPPED
                .iter()
                .map(|(_, text)| text.as_bytes().to_vec()),
        ),
        "hours_csv" => seeds.push(app::credentialing::hours_import::SAMPLE_CSV.as_bytes().to_vec()),
        _ => {}
    }
    seeds
}

/// xorshift64*: small, fixed, and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that often sit on a parser's edges.
const INTERESTING: &[u8] = b"\0\n\r\t \"',;=&%.-_#[]{}:@\\\xff\x7f\x80";

/// One to four edits of a seed, sometimes spliced with another seed.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => data.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            4 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(32)).min(data.len());
                let piece = data[start..end].to_vec();
                data.splice(at..at, piece);
            }
            5 if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(64)).min(other.len());
                data.splice(at..at, other[start..end].iter().copied());
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn hex_preview(data: &[u8]) -> String {
    data.iter().take(96).map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_target_has_a_seed_folder_and_a_cargo_fuzz_target() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let manifest = std::fs::read_to_string(fuzz_dir.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (name, _) in fuzz_targets::TARGETS {
        assert!(!seeds(name).is_empty(), "no seeds for {name}");
        let source = fuzz_dir.join("fuzz_targets").join(format!("{name}.rs"));
        let body = std::fs::read_to_string(&source).unwrap_or_else(|_| panic!("missing {}", source.display()));
        assert!(
            body.contains(&format!("fuzz_targets::{name}(")),
            "{} calls another target",
            source.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml lacks {name}"
        );
    }
}

#[test]
fn every_target_survives_its_seeds_and_their_mutations() {
    let mut rng = Rng(0x5E45_A7E0_F022_2026);
    let mut runs = 0;
    for (name, target) in fuzz_targets::TARGETS {
        let seeds = seeds(name);
        let verdicts: Vec<Verdict> = seeds.iter().map(|seed| target(seed)).collect();
        // Seeds that are all refused (or all accepted) would leave half the parser unexercised.
        assert!(
            verdicts.contains(&Verdict::Accepted) && verdicts.contains(&Verdict::Refused),
            "the seeds of {name} should reach both verdicts: {verdicts:?}"
        );
        for _ in 0..MUTATIONS_PER_TARGET {
            let seed = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed, other);
            let outcome = std::panic::catch_unwind(|| target(&input));
            assert!(
                outcome.is_ok(),
                "target {name} failed on a mutated seed ({} bytes, starting {})",
                input.len(),
                hex_preview(&input)
            );
            runs += 1;
        }
        runs += seeds.len();
    }
    assert!(runs >= fuzz_targets::TARGETS.len() * MUTATIONS_PER_TARGET);
}
