//! Startup: loading (or fetching) the common state and the stored
//! channels, and building the engine from them.

use crate::config::Config;
use crate::engine::Engine;
use crate::error::Error;
use crate::ports::RawClient;
use crate::tl::State;

fn storage(during: &'static str) -> impl FnOnce(crate::StorageError) -> Error {
    move |source| Error::Storage { during, source }
}

pub(super) async fn start(
    config: &Config,
    client: &dyn RawClient,
    user_id: i64,
    is_bot: bool,
    forget: bool,
) -> Result<(Engine, State), Error> {
    let stored = if forget {
        None
    } else {
        let stored = config.storage.get_state(user_id).await.map_err(storage("loading state"))?;
        if stored.is_none() {
            (config.on_no_stored_state)();
        }
        stored
    };
    let state = match stored {
        Some(s) => s,
        None => {
            let remote = client
                .get_state()
                .await
                .map_err(|source| Error::Client { method: "updates.getState", source })?;
            tracing::info!(?remote, user_id, "starting from the remote state");
            config.storage.set_state(user_id, remote).await.map_err(storage("saving state"))?;
            remote
        }
    };
    let mut channels = Vec::new();
    config
        .storage
        .for_each_channel(user_id, &mut |id, pts| channels.push((id, pts)))
        .await
        .map_err(storage("loading channels"))?;
    channels.sort_unstable();
    let now = tokio::time::Instant::now().into_std();
    let mut engine = Engine::new(config.engine(is_bot), user_id, state, now);
    for (id, pts) in channels {
        match config.hasher.get_channel_access_hash(user_id, id).await {
            Ok(Some(hash)) => engine.load_channel(id, pts, hash, now),
            Ok(None) => (config.on_channel_load_failed)(id),
            Err(source) => return Err(Error::Storage { during: "loading access hashes", source }),
        }
    }
    Ok((engine, state))
}
