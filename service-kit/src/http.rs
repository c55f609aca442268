//! Serving a router with connection hygiene: a client that trickles its
//! headers or sits idle is cut off, at most so many connections are open at
//! once, and a keep-alive connection serves at most so many requests. Each
//! request carries the peer address (`ConnectInfo<SocketAddr>`), and the
//! server stops gracefully when `shutdown` resolves.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{HeaderValue, Request, header::CONNECTION},
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt as _;

/// The limits of the connections a service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, counted from
    /// when the server is ready to read them: on a kept-alive connection,
    /// this is also how long it may sit idle between requests.
    pub header_read_timeout: Duration,
    /// Connections open at once; the next waits to be accepted. Keep it below
    /// the process's file-descriptor limit.
    pub max_connections: usize,
    /// Requests one kept-alive connection serves before it is closed.
    pub max_requests_per_connection: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_requests_per_connection: 1000,
        }
    }
}

/// How long open connections may take to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then
/// lets open requests finish (for up to ten seconds).
///
/// # Errors
/// When accepting connections fails for good.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = connection(stream, peer, app.clone(), limits);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that breaks the protocol or times out ends its own connection.
            let _ = watched.await;
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
    Ok(())
}

/// One HTTP/1 connection to `app` from `peer`.
fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
) -> impl hyper_util::server::graceful::GracefulConnection {
    let served = Arc::new(AtomicU64::new(0));
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let last = served.fetch_add(1, Ordering::Relaxed) + 1 >= limits.max_requests_per_connection;
        let app = app.clone();
        async move {
            let mut response = app
                .oneshot(request.map(Body::new))
                .await
                .unwrap_or_else(|never: Infallible| match never {});
            if last {
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response)
        }
    });
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
}

/// The headers of every web page either service serves: `policy` as the
/// Content-Security-Policy, no referrer, no sniffing, no framing, and no
/// caching unless the handler chose otherwise (pages may show personal
/// data).
pub fn set_page_headers(headers: &mut axum::http::HeaderMap, policy: &'static str) {
    use axum::http::header;
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}
