//! `cargo xtask deps`: the crate-map direction rules of
//! `docs/architecture.md`, checked against `cargo metadata`.
//!
//! Rules (normal dependencies unless said otherwise):
//! - a trait crate (`updates-core`, `push-core`, `auth-persistence`) and
//!   `vk-callback` have no workspace dependency;
//! - a backend has exactly one workspace dependency, its trait crate;
//! - a trait crate depends on no storage or HTTP engine;
//! - nothing (of any dependency kind) depends on `integration-tests` or
//!   `xtask`;
//! - every dependency outside the house list is named, in backticks, in the
//!   crate's README.md with its reason.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::run::{cargo, output};

/// What a workspace member is in the crate map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Holds a port; depends on no workspace crate.
    Trait,
    /// Self-contained crate of its own domain (`vk-callback`).
    Standalone,
    /// Implements the port of exactly this trait crate.
    Backend(&'static str),
    /// The integration crate: may span domains; nothing depends on it.
    Integration,
    /// Tooling; nothing depends on it.
    Tool,
}

const ROLES: &[(&str, Role)] = &[
    ("updates-core", Role::Trait),
    ("updates-storage-sled", Role::Backend("updates-core")),
    ("updates-storage-sqlite", Role::Backend("updates-core")),
    ("vk-callback", Role::Standalone),
    ("push-core", Role::Trait),
    ("push-fcm", Role::Backend("push-core")),
    ("push-stdout", Role::Backend("push-core")),
    ("auth-persistence", Role::Trait),
    ("auth-file", Role::Backend("auth-persistence")),
    ("auth-sqlite", Role::Backend("auth-persistence")),
    ("integration-tests", Role::Integration),
    ("xtask", Role::Tool),
];

/// Engines whose types must never appear in a trait crate's API; the
/// simplest sound check is that a trait crate does not depend on them.
const ENGINES: &[&str] = &[
    "sled",
    "rusqlite",
    "hyper",
    "hyper-util",
    "http-body-util",
    "hyper-rustls",
    "rustls",
    "ring",
];

/// Dependencies every crate may use without a reason in its README.
const HOUSE: &[&str] = &[
    "tokio",
    "async-trait",
    "serde",
    "serde_json",
    "thiserror",
    "tracing",
    "sled",
    "rusqlite",
    "hyper",
    "hyper-util",
    "http-body-util",
    "bytes",
    "hyper-rustls",
    "rustls",
    "ring",
];

/// A workspace member as far as the rules care.
#[derive(Debug)]
struct Member {
    name: String,
    readme: Option<String>,
    deps: Vec<Dep>,
}

#[derive(Debug)]
struct Dep {
    name: String,
    /// `None` for normal, else `dev` or `build`.
    kind: Option<String>,
}

impl Dep {
    fn is_normal(&self) -> bool {
        self.kind.is_none()
    }
}

pub(crate) fn run() -> Result<(), String> {
    let json = output(
        "cargo metadata",
        cargo().args(["metadata", "--format-version", "1", "--no-deps", "--offline"]),
    )
    .or_else(|_| {
        output("cargo metadata", cargo().args(["metadata", "--format-version", "1", "--no-deps"]))
    })?;
    let members = parse(&json, &|path| std::fs::read_to_string(path).ok())?;
    let violations = check(&members);
    if violations.is_empty() {
        println!("deps: {} members follow the crate-map rules", members.len());
        Ok(())
    } else {
        for v in &violations {
            eprintln!("deps: {v}");
        }
        Err(format!("{} dependency rule violation(s) (see docs/architecture.md)", violations.len()))
    }
}

/// Reads the members out of a `cargo metadata --no-deps` document;
/// `read` fetches a README by path.
fn parse(
    json: &str,
    read: &dyn Fn(&std::path::Path) -> Option<String>,
) -> Result<Vec<Member>, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("cargo metadata: {e}"))?;
    let members: Vec<&str> = doc["workspace_members"]
        .as_array()
        .ok_or("cargo metadata: no `workspace_members`")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = doc["packages"].as_array().ok_or("cargo metadata: no `packages`")?;
    let mut out = Vec::new();
    for package in packages {
        let id = package["id"].as_str().unwrap_or_default();
        if !members.contains(&id) {
            continue;
        }
        let name = package["name"].as_str().ok_or("cargo metadata: package without a name")?;
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        let readme =
            std::path::Path::new(manifest).parent().and_then(|dir| read(&dir.join("README.md")));
        let deps = package["dependencies"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter_map(|d| {
                        Some(Dep {
                            name: d["name"].as_str()?.to_owned(),
                            kind: d["kind"].as_str().map(str::to_owned),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Member { name: name.to_owned(), readme, deps });
    }
    Ok(out)
}

/// Every violation of the rules, each naming the edge and the rule.
fn check(members: &[Member]) -> Vec<String> {
    let roles: BTreeMap<&str, Role> = ROLES.iter().copied().collect();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let mut violations = Vec::new();
    for member in members {
        let Some(&role) = roles.get(member.name.as_str()) else {
            violations.push(format!(
                "`{}` has no role in the crate map: add it to xtask/src/deps.rs and docs/architecture.md",
                member.name
            ));
            continue;
        };
        let internal: Vec<&Dep> = member
            .deps
            .iter()
            .filter(|d| d.is_normal() && names.contains(&d.name.as_str()))
            .collect();
        for dep in &member.deps {
            let target = roles.get(dep.name.as_str()).copied();
            if matches!(target, Some(Role::Integration | Role::Tool)) {
                violations.push(format!(
                    "`{}` -> `{}`: nothing may depend on the integration crate or xtask",
                    member.name, dep.name
                ));
            }
        }
        match role {
            Role::Trait | Role::Standalone => {
                for dep in &internal {
                    violations.push(format!(
                        "`{}` -> `{}`: a trait crate or vk-callback has no workspace dependency",
                        member.name, dep.name
                    ));
                }
            }
            Role::Backend(core) => {
                for dep in internal.iter().filter(|d| d.name != core) {
                    violations.push(format!(
                        "`{}` -> `{}`: a backend depends on exactly one workspace crate, `{core}`",
                        member.name, dep.name
                    ));
                }
                if !internal.iter().any(|d| d.name == core) {
                    violations.push(format!(
                        "`{}` lacks `{core}`: a backend depends on exactly its trait crate",
                        member.name
                    ));
                }
            }
            Role::Integration | Role::Tool => {}
        }
        if role == Role::Trait {
            for dep in
                member.deps.iter().filter(|d| d.is_normal() && ENGINES.contains(&d.name.as_str()))
            {
                violations.push(format!(
                    "`{}` -> `{}`: a trait crate names no engine type, so depends on no engine",
                    member.name, dep.name
                ));
            }
        }
        for dep in &member.deps {
            let exempt = HOUSE.contains(&dep.name.as_str()) || names.contains(&dep.name.as_str());
            let named =
                member.readme.as_deref().is_some_and(|r| r.contains(&format!("`{}`", dep.name)));
            if !exempt && !named {
                violations.push(format!(
                    "`{}` -> `{}`: a dependency outside the house list needs a one-line reason naming `{}` in the crate's README.md",
                    member.name, dep.name, dep.name
                ));
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package as `(name, [(dependency, kind)])`.
    type Package = (&'static str, &'static [(&'static str, Option<&'static str>)]);

    /// A synthetic `cargo metadata --no-deps` document.
    fn metadata(packages: &[Package]) -> String {
        let packages: Vec<Value> = packages
            .iter()
            .map(|(name, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(dep, kind)| serde_json::json!({ "name": dep, "kind": kind }))
                    .collect();
                serde_json::json!({
                    "id": format!("path+file:///ws/{name}#0.0.0"),
                    "name": name,
                    "manifest_path": format!("/ws/{name}/Cargo.toml"),
                    "dependencies": deps,
                })
            })
            .collect();
        let ids: Vec<Value> = packages.iter().map(|p| p["id"].clone()).collect();
        serde_json::json!({ "packages": packages, "workspace_members": ids }).to_string()
    }

    fn violations(packages: &[Package]) -> Vec<String> {
        let readme = |_: &std::path::Path| Some("uses `proptest` for property tests".to_owned());
        check(&parse(&metadata(packages), &readme).expect("valid metadata"))
    }

    const GOOD: &[Package] = &[
        ("updates-core", &[("tokio", None), ("proptest", Some("dev"))]),
        ("updates-storage-sled", &[("updates-core", None), ("sled", None)]),
        ("push-core", &[]),
        ("auth-persistence", &[]),
        ("push-stdout", &[("push-core", None), ("push-core", Some("dev"))]),
        ("vk-callback", &[("hyper", None)]),
        ("integration-tests", &[("updates-core", None), ("push-core", None)]),
        ("xtask", &[("serde_json", None)]),
    ];

    #[test]
    fn the_crate_map_passes() {
        assert_eq!(violations(GOOD), Vec::<String>::new());
    }

    fn with(extra: Package) -> Vec<String> {
        let mut packages: Vec<_> =
            GOOD.iter().filter(|(name, _)| *name != extra.0).copied().collect();
        packages.push(extra);
        violations(&packages)
    }

    #[test]
    fn a_backend_depending_on_another_domain_is_named() {
        let v = with(("push-stdout", &[("push-core", None), ("updates-core", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`push-stdout` -> `updates-core`"), "{v:?}");
        assert!(v[0].contains("exactly one workspace crate"), "{v:?}");
    }

    #[test]
    fn a_backend_without_its_trait_crate_is_named() {
        let v = with(("updates-storage-sled", &[("sled", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("lacks `updates-core`"), "{v:?}");
    }

    #[test]
    fn backend_to_backend_is_named() {
        let v = with((
            "updates-storage-sled",
            &[("updates-core", None), ("updates-storage-sqlite", None)],
        ));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`updates-storage-sled` -> `updates-storage-sqlite`"), "{v:?}");
    }

    #[test]
    fn a_trait_crate_with_a_workspace_dependency_is_named() {
        let v = with(("push-core", &[("updates-core", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`push-core` -> `updates-core`: a trait crate"), "{v:?}");
    }

    #[test]
    fn vk_callback_is_standalone() {
        let v = with(("vk-callback", &[("push-core", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`vk-callback` -> `push-core`"), "{v:?}");
    }

    #[test]
    fn a_trait_crate_on_an_engine_is_named() {
        let v = with(("updates-core", &[("sled", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`updates-core` -> `sled`: a trait crate names no engine"), "{v:?}");
    }

    #[test]
    fn nothing_depends_on_the_integration_crate_even_as_dev() {
        let v = with(("push-core", &[("integration-tests", Some("dev"))]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`push-core` -> `integration-tests`"), "{v:?}");
    }

    #[test]
    fn dev_dependencies_on_the_own_trait_crate_are_fine() {
        let v =
            with(("auth-file", &[("auth-persistence", None), ("auth-persistence", Some("dev"))]));
        assert_eq!(v, Vec::<String>::new());
    }

    #[test]
    fn an_unknown_member_is_named() {
        let v = with(("push-apns", &[("push-core", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`push-apns` has no role"), "{v:?}");
    }

    #[test]
    fn a_dependency_without_a_reason_is_named() {
        let v = with(("push-core", &[("once_cell", None)]));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].contains("`push-core` -> `once_cell`: a dependency outside the house list"),
            "{v:?}"
        );
    }

    #[test]
    fn broken_metadata_is_an_error() {
        let readme = |_: &std::path::Path| None;
        assert!(parse("{", &readme).is_err());
        assert!(parse("{}", &readme).is_err());
    }
}
