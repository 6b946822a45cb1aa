//! Shared fixtures: tiny valid images, a decompression-bomb PNG, fast configs, log capture.
#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use providers::{
    CancellationToken, GenerateRequest, ProgressSink, ProviderConfig, ProviderProgress,
};

/// A fake key; every test asserts it never leaks.
pub const KEY: &str = "sk-test-SECRET-9f8e7d6c5b4a";

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn png_b64(w: u32, h: u32) -> String {
    b64(&png(w, h))
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut c = kind.to_vec();
    c.extend_from_slice(data);
    out.extend_from_slice(&c);
    out.extend_from_slice(&crc32(&c).to_be_bytes());
}

/// A 60-byte PNG whose header claims 100000×100000 pixels (a decompression bomb).
pub fn bomb_png() -> Vec<u8> {
    png_claiming(100_000, 100_000)
}

/// A tiny PNG whose header claims `w`×`h` pixels (its data would not decode).
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Fast polling, short deadline, small body cap: tests finish quickly.
pub fn cfg(base: &str) -> ProviderConfig {
    ProviderConfig {
        base_url: Some(base.to_string()),
        timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(10),
        poll_deadline: Duration::from_secs(5),
        max_body_bytes: 8 * 1024 * 1024,
        models: Vec::new(),
    }
}

pub fn client() -> reqwest::Client {
    providers::http::default_client()
}

pub fn req(model: &str) -> GenerateRequest {
    GenerateRequest::new(model, "a red fox in the snow")
}

/// A progress sink that records every event.
pub fn recorder() -> (ProgressSink, Arc<Mutex<Vec<ProviderProgress>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    (
        ProgressSink::new(move |p| e2.lock().expect("lock").push(p)),
        events,
    )
}

pub fn no_cancel() -> CancellationToken {
    CancellationToken::new()
}

/// Assert the key is nowhere in an error's Display, Debug or serialized form.
pub fn assert_no_key(e: &providers::ProviderError) {
    let all = format!("{e} {e:?} {}", serde_json::to_string(e).unwrap_or_default());
    assert!(!all.contains(KEY), "API key leaked into error: {all}");
}

/// Captures everything logged at TRACE level on this thread.
#[derive(Clone, Default)]
pub struct LogBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).to_string()
    }
}

/// Install a TRACE-level subscriber for the current thread (use with a current-thread runtime).
pub fn capture_logs() -> (LogBuf, tracing::subscriber::DefaultGuard) {
    let buf = LogBuf::default();
    let b2 = buf.clone();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || b2.clone())
        .with_ansi(false)
        .finish();
    (buf, tracing::subscriber::set_default(sub))
}

/// Assert neither the key nor any 8-character piece of its start appears anywhere.
pub fn assert_no_key_part(text: &str) {
    let chars: Vec<char> = KEY.chars().collect();
    for start in 0..=chars.len() - 8 {
        let part: String = chars[start..start + 8].iter().collect();
        assert!(
            !text.contains(&part),
            "part of the key '{part}' leaked: {text}"
        );
    }
}

/// A loopback server that answers every connection with `raw` bytes, then closes it
/// (a body cut short, a connection closed before any answer).
pub async fn raw_server(raw: Vec<u8>) -> String {
    raw_server_routes(vec![("", raw)]).await
}

/// Like [`raw_server`], answering with the first route whose text appears in the
/// request head (e.g. `"POST "`).
pub async fn raw_server_routes(routes: Vec<(&'static str, Vec<u8>)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // Read the request head (and some body) before answering.
                let n = tokio::time::timeout(Duration::from_millis(200), sock.read(&mut buf))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                if let Some((_, raw)) = routes.iter().find(|(m, _)| head.contains(m)) {
                    let _ = sock.write_all(raw).await;
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// A complete 200 JSON answer that closes the connection.
pub fn ok_json(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A 200 that promises `len` bytes of JSON and sends only `sent`, then closes.
pub fn cut_response(len: usize, sent: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{sent}"
    )
    .into_bytes()
}

/// A port where nothing listens (connection refused).
pub fn dead_uri() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// `first` redirects every request (307) to `second` on another port; returns `second`.
pub async fn redirect_everything(first: &wiremock::MockServer) -> wiremock::MockServer {
    let second = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(500))
        .mount(&second)
        .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(307)
                .insert_header("location", format!("{}/logger", second.uri()).as_str()),
        )
        .with_priority(10)
        .mount(first)
        .await;
    second
}

/// The second origin saw no request carrying the key in any header.
pub async fn assert_key_not_forwarded(second: &wiremock::MockServer) {
    for r in second.received_requests().await.unwrap_or_default() {
        for (name, value) in r.headers.iter() {
            let v = value.to_str().unwrap_or("");
            assert!(
                !v.contains(KEY),
                "the key reached another origin in header {name}"
            );
        }
    }
}

/// The error says a redirect to another host was refused and is not retried.
pub fn assert_redirect_refused(e: &providers::ProviderError) {
    assert!(
        e.message.contains("redirected to another host"),
        "{}",
        e.message
    );
    assert!(!e.is_retryable(), "{e:?}");
    assert_no_key(e);
}
