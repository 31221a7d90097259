//! Deterministic batching for queries and mutations.
//!
//! async-graphql's DataLoader starts a batch on a spawned task after a delay, so how
//! many keys a batch gets depends on timing: a short delay splits batches under
//! load, a long one adds latency to every level of a query. Here each query or
//! mutation gets its own loaders whose batches are not spawned but queued, and the
//! request's own task runs them only once the execution has nothing left to do but
//! wait for them. Every key one level of a query asks for is then in one batch,
//! whatever the load, and no time is spent waiting. Subscriptions keep the shared
//! loaders of the schema, which batch across subscribers.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::loaders::{CatalogLoader, Loaders};
use crate::db::Db;

/// Batches queued by a request's loaders, waiting for the request to run them.
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Queue {
    fn push(&self, batch: BoxFuture<'static, ()>) {
        if let Ok(mut queued) = self.0.lock() {
            queued.push(batch);
        }
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        self.0
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }
}

/// Whether the request's operation is a subscription (parsing it, once, if needed).
pub fn is_subscription(request: &mut Request) -> bool {
    request.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Subscription)
    })
}

/// What [`BatchingExtension`] does, without being an extension (any schema extension
/// sends every field of every response through async-graphql's slower resolve path):
/// a query or mutation gets its own loaders, and `execute` is driven with their batches.
pub async fn with_loaders<'a>(
    db: &Db,
    mut request: Request,
    execute: impl FnOnce(Request) -> BoxFuture<'a, Response>,
) -> Response {
    if is_subscription(&mut request) {
        return execute(request).await;
    }
    let queue = Queue::default();
    let spawn = queue.clone();
    let loaders: Loaders = async_graphql::dataloader::DataLoader::with_cache(
        CatalogLoader::new(db.clone()),
        move |batch| spawn.push(batch),
        async_graphql::dataloader::NoCache,
    )
    .delay(Duration::ZERO);
    let request = request.data(loaders).data(queue.clone());
    Drive {
        execution: execute(request),
        queue,
        running: FuturesUnordered::new(),
    }
    .await
}

/// Polls the execution, and the batches it queued whenever it is waiting.
struct Drive<'a> {
    execution: BoxFuture<'a, Response>,
    queue: Queue,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
}

impl Future for Drive<'_> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        loop {
            if let Poll::Ready(response) = self.execution.as_mut().poll(cx) {
                return Poll::Ready(response);
            }
            let queued = self.queue.take();
            self.running.extend(queued);
            let mut finished = false;
            while let Poll::Ready(Some(())) = self.running.poll_next_unpin(cx) {
                finished = true;
            }
            // A finished batch has answered the execution: run it again at once.
            if !finished {
                return Poll::Pending;
            }
        }
    }
}
