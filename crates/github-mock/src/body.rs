//! The one response body type: whole bodies for JSON, a channel for streamed git output and for
//! bodies cut short on purpose.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::BodyExt as _;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body as HttpBody, Bytes, Frame};
use tokio::sync::mpsc;

/// A response body (boxed so whole and streamed bodies share a type).
pub type Body = BoxBody<Bytes, io::Error>;

/// A whole body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A body fed through a channel: chunks until the sender is dropped, an `Err` aborts the
/// connection (hyper closes it mid-body).
pub(crate) struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl ChannelBody {
    /// A body and the sender that feeds it.
    pub(crate) fn channel(capacity: usize) -> (mpsc::Sender<Result<Bytes, io::Error>>, Body) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, ChannelBody { rx }.boxed())
    }
}

impl HttpBody for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }
}

/// The first half of `bytes`, then an error: with a `Content-Length` of the whole, the client
/// sees a body cut short. The error comes a moment later, so the half is on the wire first
/// (hyper flushes while the body is pending).
pub(crate) fn truncated(bytes: Bytes) -> Body {
    let (tx, body) = ChannelBody::channel(2);
    let half = bytes.slice(0..bytes.len() / 2);
    tokio::spawn(async move {
        if tx.send(Ok(half)).await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            // Nobody reading any more is fine: the cut is what was wanted.
            let _ = tx
                .send(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "body cut short on purpose",
                )))
                .await;
        }
    });
    body
}
