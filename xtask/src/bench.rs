//! `cargo xtask bench [name…]`: runs benchmarks, each writing
//! `target/bench/<name>.json`.
//!
//! A benchmark is a `harness = false` bench target; it reads the output
//! directory from `MSGKIT_BENCH_DIR`, prints a readable table and writes
//! records `{name, unit, ours, baseline, ratio}`.

use crate::run::{cargo, status, target_dir};

/// One benchmark: its name on the command line, package and bench target.
struct Bench {
    name: &'static str,
    package: &'static str,
    target: &'static str,
}

/// Every benchmark, in the order `cargo xtask bench` runs them.
const BENCHES: &[Bench] = &[
    // updates
    Bench { name: "updates", package: "updates-core", target: "updates" },
    Bench { name: "storage", package: "integration-tests", target: "storage" },
    // vk
    Bench { name: "vk", package: "vk-callback", target: "vk" },
    // push
    Bench { name: "push", package: "push-stdout", target: "push" },
    Bench { name: "fcm", package: "push-fcm", target: "fcm" },
    // auth
    Bench { name: "auth", package: "auth-persistence", target: "auth" },
    Bench { name: "auth", package: "auth-file", target: "backends" },
];

pub(crate) fn run(names: &[String]) -> Result<(), String> {
    let selected: Vec<&Bench> = if names.is_empty() {
        BENCHES.iter().collect()
    } else {
        let mut selected = Vec::new();
        for name in names {
            // a name may have several parts (auth: key store, then backends)
            let parts: Vec<&Bench> = BENCHES.iter().filter(|b| b.name == name).collect();
            if parts.is_empty() {
                let known: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
                return Err(format!("unknown benchmark `{name}`; known: {}", known.join(", ")));
            }
            selected.extend(parts);
        }
        selected
    };
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for (index, bench) in selected.iter().enumerate() {
        println!("==> [{}/{}] bench {}", index + 1, selected.len(), bench.name);
        let mut command = cargo();
        command
            .args(["bench", "--package", bench.package, "--bench", bench.target])
            .env("MSGKIT_BENCH_DIR", &out);
        if bench.name == "fcm" {
            match crate::fcm_peer::ensure_venv() {
                Ok(python) => command.env("MSGKIT_FCM_PEER_PYTHON", python),
                Err(error) => {
                    println!("fcm peer unavailable, benchmarking without it: {error}");
                    &mut command
                }
            };
        }
        status(&format!("bench {}", bench.name), &mut command)?;
        println!("<== wrote {}", out.join(format!("{}.json", bench.name)).display());
    }
    Ok(())
}
