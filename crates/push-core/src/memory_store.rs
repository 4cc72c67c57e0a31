//! [`MemoryDeviceStore`]: the [`DeviceStore`] port on a map behind a lock,
//! for tests and single-process servers.
//!
//! It does not persist anything: devices are gone when it is dropped.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::{Device, DeviceStore, DeviceStoreError};

/// Devices by user id, in memory.
#[derive(Debug, Default)]
pub struct MemoryDeviceStore {
    users: Mutex<BTreeMap<String, Vec<Device>>>,
}

impl MemoryDeviceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn users(&self) -> MutexGuard<'_, BTreeMap<String, Vec<Device>>> {
        // The map is valid after any panic: every change is a single step.
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn check(user: &str, token: &str) -> Result<(), DeviceStoreError> {
    match (user.is_empty(), token.is_empty()) {
        (true, _) => Err(DeviceStoreError::NoUser),
        (_, true) => Err(DeviceStoreError::NoToken),
        _ => Ok(()),
    }
}

#[async_trait]
impl DeviceStore for MemoryDeviceStore {
    async fn get_all(
        &self,
        users: &[&str],
    ) -> Result<BTreeMap<String, Vec<Device>>, DeviceStoreError> {
        let map = self.users();
        Ok(users
            .iter()
            .filter_map(|user| map.get_key_value(*user))
            .map(|(user, devices)| (user.clone(), devices.clone()))
            .collect())
    }

    async fn update(
        &self,
        user: &str,
        old_token: Option<&str>,
        device: Device,
    ) -> Result<(), DeviceStoreError> {
        check(user, &device.token)?;
        let old_token = old_token.filter(|old| !old.is_empty() && *old != device.token);
        let mut map = self.users();
        for (owner, devices) in map.iter_mut() {
            devices.retain(|d| {
                let stolen = d.token == device.token && owner != user;
                let replaced = owner == user && Some(d.token.as_str()) == old_token;
                !(stolen || replaced)
            });
        }
        let devices = map.entry(user.to_owned()).or_default();
        match devices.iter_mut().find(|d| d.token == device.token) {
            Some(known) => *known = device,
            None => devices.push(device),
        }
        map.retain(|_, devices| !devices.is_empty());
        Ok(())
    }

    async fn delete(&self, user: &str, token: &str) -> Result<bool, DeviceStoreError> {
        check(user, token)?;
        let mut map = self.users();
        let Some(devices) = map.get_mut(user) else { return Ok(false) };
        let before = devices.len();
        devices.retain(|d| d.token != token);
        let removed = devices.len() < before;
        if devices.is_empty() {
            map.remove(user);
        }
        Ok(removed)
    }
}
