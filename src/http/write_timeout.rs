//! A listener whose connections fail a write that stays blocked too long: a client
//! that stopped reading (its receive window and our send buffer full) is dropped
//! once `PREMIERE_SEND_TIMEOUT` passes without any byte going out. This covers what
//! a handler cannot see: hyper stops polling a streamed body (SSE, multipart) while
//! the socket is full, so the stream itself never learns that its client is stuck.
//!
//! The timer exists only while a write is blocked; an idle connection costs nothing.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

use crate::metrics::{Dropped, Metrics};

/// A TCP listener whose connections time out blocked writes.
pub struct Listener {
    inner: TcpListener,
    timeout: Duration,
    metrics: Metrics,
}

impl Listener {
    pub fn new(inner: TcpListener, timeout: Duration, metrics: Metrics) -> Self {
        Listener {
            inner,
            timeout,
            metrics,
        }
    }
}

impl axum::serve::Listener for Listener {
    type Io = Guarded;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let io = Guarded {
            io,
            timeout: self.timeout,
            blocked: None,
            metrics: self.metrics.clone(),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection whose writes fail with `TimedOut` after `timeout` without progress.
pub struct Guarded {
    io: TcpStream,
    timeout: Duration,
    /// Running while a write is blocked.
    blocked: Option<Pin<Box<Sleep>>>,
    metrics: Metrics,
}

impl Guarded {
    /// Passes on a finished write (and forgets the timer); times out a blocked one.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(result) => {
                self.blocked = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let timer = self
                    .blocked
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        self.blocked = None;
                        self.metrics.connection_dropped(Dropped::Stuck);
                        tracing::info!(
                            timeout_secs = timeout.as_secs_f64(),
                            "closing a connection whose client stopped reading"
                        );
                        Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}
