//! Model-based test of `MemoryDeviceStore`: random operation sequences
//! applied to the store and to a model keyed by token (a different shape
//! from the store's per-user lists) must agree after every step.

use std::collections::BTreeMap;

use proptest::prelude::*;
use push_core::{Device, DeviceStore, MemoryDeviceStore, Platform, Timestamp};

const USERS: [&str; 3] = ["usrA", "usrB", "usrC"];
const TOKENS: [&str; 4] = ["t1", "t2", "t3", "t4"];

#[derive(Debug, Clone)]
enum Op {
    Update { user: usize, old: Option<usize>, token: usize, lang: u8 },
    Delete { user: usize, token: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..USERS.len(), proptest::option::of(0..TOKENS.len()), 0..TOKENS.len(), 0..3_u8)
            .prop_map(|(user, old, token, lang)| Op::Update { user, old, token, lang }),
        (0..USERS.len(), 0..TOKENS.len()).prop_map(|(user, token)| Op::Delete { user, token }),
    ]
}

fn device(token: &str, lang: u8) -> Device {
    Device {
        token: token.into(),
        platform: Platform::Ios,
        last_seen: Timestamp::UNIX_EPOCH,
        lang: format!("l{lang}"),
    }
}

/// token → (owner, device, registration number).
#[derive(Default)]
struct Model {
    tokens: BTreeMap<String, (String, Device, u64)>,
    next: u64,
}

impl Model {
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Update { user, old, token, lang } => {
                let (user, token) = (USERS[user], TOKENS[token]);
                if let Some(old) = old.map(|o| TOKENS[o]).filter(|o| *o != token)
                    && self.tokens.get(old).is_some_and(|(owner, _, _)| owner == user)
                {
                    self.tokens.remove(old);
                }
                let keep =
                    self.tokens.get(token).filter(|(owner, _, _)| owner == user).map(|e| e.2);
                let number = keep.unwrap_or_else(|| {
                    self.next += 1;
                    self.next
                });
                self.tokens.insert(token.into(), (user.into(), device(token, lang), number));
                true
            }
            Op::Delete { user, token } => {
                let (user, token) = (USERS[user], TOKENS[token]);
                let mine = self.tokens.get(token).is_some_and(|(owner, _, _)| owner == user);
                if mine {
                    self.tokens.remove(token);
                }
                mine
            }
        }
    }

    fn devices(&self) -> BTreeMap<String, Vec<Device>> {
        let mut by_user: BTreeMap<String, Vec<(u64, Device)>> = BTreeMap::new();
        for (owner, device, number) in self.tokens.values() {
            by_user.entry(owner.clone()).or_default().push((*number, device.clone()));
        }
        by_user
            .into_iter()
            .map(|(user, mut devices)| {
                devices.sort_by_key(|(number, _)| *number);
                (user, devices.into_iter().map(|(_, d)| d).collect())
            })
            .collect()
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store = MemoryDeviceStore::new();
    let mut model = Model::default();
    for op in &ops {
        let expected = model.apply(op);
        let got = match *op {
            Op::Update { user, old, token, lang } => {
                let old = old.map(|o| TOKENS[o]);
                store.update(USERS[user], old, device(TOKENS[token], lang)).await.map(|()| true)
            }
            Op::Delete { user, token } => store.delete(USERS[user], TOKENS[token]).await,
        };
        prop_assert_eq!(got.map_err(|e| TestCaseError::fail(e.to_string()))?, expected, "{:?}", op);
        let all = store.get_all(&USERS).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(all, model.devices(), "after {:?}", op);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn memory_store_matches_the_model(ops in proptest::collection::vec(op(), 0..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(run(ops))?;
    }
}
