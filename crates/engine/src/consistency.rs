//! Read-your-writes. A mutation returns a **consistency token**: the log position of what it
//! wrote (`Position`'s text, `tx.index`). A query given a token waits, at most
//! [`MAX_WAIT`], until the read model it reads has applied that position, then reads.

use std::time::Duration;

use holdfast_eventstore::Position;
use holdfast_projections::store::{Table, TableRef};

use crate::Engine;
use crate::error::{EngineError, ErrorCode};

/// The longest a query waits for its read model to catch up with a token.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// The token of a committed position.
pub fn token(position: Option<Position>) -> Option<String> {
    position.map(|p| p.to_string())
}

/// Parses a client's token.
pub fn parse(token: &str) -> Result<Position, EngineError> {
    token
        .parse()
        .map_err(|_| EngineError::invalid("consistencyToken is not a token this server issued"))
}

/// Waits until `table` has applied `token` (no token: returns at once). `TIMEOUT` (retryable)
/// when the read model is still behind after [`MAX_WAIT`].
pub async fn wait(state: &Engine, table: Table, token: Option<&str>) -> Result<(), EngineError> {
    let Some(token) = token else {
        return Ok(());
    };
    let position = parse(token)?;
    let caught_up = match &state.projections {
        Some(runtime) => runtime
            .wait_for(table, position, MAX_WAIT)
            .await
            .map_err(EngineError::internal)?,
        // An API-only node: watch the active projector's checkpoint in the read store.
        None => poll_checkpoint(state, table, position).await?,
    };
    if caught_up {
        Ok(())
    } else {
        Err(EngineError::new(
            ErrorCode::Timeout,
            format!("the {table} read model has not caught up with this token yet; retry"),
        ))
    }
}

async fn poll_checkpoint(
    state: &Engine,
    table: Table,
    position: Position,
) -> Result<bool, EngineError> {
    let store = state.read_side.store();
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    loop {
        if let Some(generation) = store.alias(table).await.map_err(EngineError::internal)? {
            let checkpoint = store
                .checkpoint(TableRef::new(table, generation))
                .await
                .map_err(EngineError::internal)?;
            if checkpoint.is_some_and(|c| c >= position) {
                return Ok(true);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The generation of `table` readers use now.
pub async fn current(state: &Engine, table: Table) -> Result<TableRef, EngineError> {
    let generation = state
        .read_side
        .store()
        .alias(table)
        .await
        .map_err(|e| {
            if e.is_transient() {
                EngineError::new(
                    ErrorCode::Unavailable,
                    "the read models are unavailable; retry",
                )
            } else {
                EngineError::internal(e)
            }
        })?
        .ok_or_else(|| {
            EngineError::new(
                ErrorCode::Unavailable,
                format!("the {table} read model is still being built; retry"),
            )
        })?;
    Ok(TableRef::new(table, generation))
}
