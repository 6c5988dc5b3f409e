//! One access log line per request (target `access`, level info): method, route
//! pattern, path, status, latency, bytes sent, request id and client address.
//!
//! A small middleware rather than `tracing-actix-web`: that crate's root span
//! carries its own generated request id (not the `X-Request-Id` the envelope
//! answers with) and emits spans, not a line with the bytes sent. This one wraps
//! the body and writes the line when the body is finished (or dropped because the
//! client went away), so the latency includes sending and `bytes` is what left
//! the application after compression.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};

use crate::http::edge::ClientAddr;
use crate::http::middleware::RequestId;

/// What the line says about the request, known once the response is ready.
struct Line {
    method: String,
    route: String,
    path: String,
    status: u16,
    request_id: String,
    client: String,
    started: Instant,
}

impl Line {
    fn write(&self, bytes: u64) {
        // A HEAD response's body is never sent, whatever the layers produced.
        let bytes = if self.method == "HEAD" { 0 } else { bytes };
        tracing::info!(
            target: "access",
            method = %self.method,
            route = %self.route,
            path = %self.path,
            status = self.status,
            latency_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            bytes,
            request_id = %self.request_id,
            client = %self.client,
            "request"
        );
    }
}

/// The response body, counted; the line is written when it ends or is dropped.
pub struct LoggedBody {
    inner: BoxBody,
    bytes: u64,
    line: Option<Line>,
}

impl LoggedBody {
    fn finish(&mut self) {
        if let Some(line) = self.line.take() {
            line.write(self.bytes);
        }
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        self.finish();
    }
}

impl MessageBody for LoggedBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => this.bytes += chunk.len() as u64,
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.finish(),
            Poll::Pending => {}
        }
        polled
    }
}

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<LoggedBody>, Error> {
    let started = Instant::now();
    // Before the envelope routes HEAD as GET.
    let method = req.method().to_string();
    let path = req.path().to_string();
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            Line {
                method,
                route: "-".into(),
                path,
                status,
                request_id: "-".into(),
                client: "-".into(),
                started,
            }
            .write(0);
            return Err(e);
        }
    };
    let request = res.request();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map_or_else(|| "-".into(), |r| r.0.clone());
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .and_then(|c| c.0)
        .map_or_else(|| "-".into(), |ip| ip.to_string());
    let line = Line {
        method,
        route,
        path,
        status: res.status().as_u16(),
        request_id,
        client,
        started,
    };
    Ok(res.map_body(|_, inner| LoggedBody {
        inner,
        bytes: 0,
        line: Some(line),
    }))
}
