//! One connection to the team server per process, reconnected when it drops. Every
//! call has a deadline: a server that hangs is reported unreachable rather than
//! blocking a generation forever (a transaction cut short is rolled back by the server).

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::{Client, Config, NoTls};

use crate::error::{Result, TeamError};

/// How long to wait for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one team operation (one transaction) may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) struct Conn {
    config: Config,
    client: Mutex<Option<Client>>,
}

/// Opens a connection and drives it on the runtime.
pub(crate) async fn connect(config: &Config) -> Result<Client> {
    let attempt = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(NoTls)).await;
    let (client, connection) = match attempt {
        Ok(r) => r?,
        Err(_) => {
            return Err(TeamError::Unreachable {
                reason: "connection timed out".into(),
            });
        }
    };
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %TeamError::from(e), "team server connection ended");
        }
    });
    Ok(client)
}

impl Conn {
    pub(crate) fn new(mut config: Config) -> Self {
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("proofsheet");
        Conn {
            config,
            client: Mutex::new(None),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Runs `f` on the (re)connected client under the call deadline. On a timeout or a
    /// lost connection the client is dropped, so the next call reconnects.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: for<'c> AsyncFnOnce(&'c mut Client) -> Result<T>,
    {
        let mut guard = self.client.lock().await;
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = Some(connect(&self.config).await?);
        }
        let Some(client) = guard.as_mut() else {
            return Err(TeamError::Unreachable {
                reason: "no connection".into(),
            });
        };
        let outcome = with_deadline(f(client)).await;
        if matches!(outcome, Err(TeamError::Unreachable { .. })) {
            *guard = None;
        }
        outcome
    }
}

async fn with_deadline<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(TeamError::Unreachable {
            reason: "the server did not answer in time".into(),
        }),
    }
}
