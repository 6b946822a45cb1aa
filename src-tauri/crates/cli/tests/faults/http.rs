//! A deliberately small HTTP/1.1 server on std sockets, one thread per connection. A
//! hostile fake needs what a framework hides: answering half a body, closing the socket
//! without a word, or never answering at all. Every response closes the connection.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Lower-case names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self, key: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| v.to_string())
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the fake does with the socket.
pub enum Reply {
    Full {
        status: u16,
        content_type: &'static str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Announce `claimed` bytes, send `body`, close.
    Cut {
        status: u16,
        claimed: usize,
        body: Vec<u8>,
    },
    /// Close without a byte.
    Close,
    /// Send nothing until the client gives up or `cap` passes; `on_gave_up` is told which.
    Hang {
        cap: Duration,
        on_end: Box<dyn FnOnce(bool) + Send>,
    },
    /// Sleep, then reply (the client may be gone by then).
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, v: &serde_json::Value) -> Self {
        Reply::Full {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: v.to_string().into_bytes(),
        }
    }
    pub fn raw(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Reply::Full {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn redirect(to: &str) -> Self {
        Reply::Full {
            status: 307,
            content_type: "text/plain",
            headers: vec![("Location".into(), to.into())],
            body: b"moved".to_vec(),
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((k.into(), v.into()));
        }
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Status",
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len.min(64 << 20)];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn head(status: u16, content_type: &str, len: usize, extra: &[(String, String)]) -> Vec<u8> {
    let mut s = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n",
        reason(status)
    );
    for (k, v) in extra {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// True when the peer closed its side (read returns 0 or errors) within `cap`.
fn wait_for_peer_close(stream: &mut TcpStream, cap: Duration) -> bool {
    let end = Instant::now() + cap;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 256];
    while Instant::now() < end {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

fn send(mut stream: TcpStream, reply: Reply) {
    match reply {
        Reply::Full {
            status,
            content_type,
            headers,
            body,
        } => {
            let _ = stream.write_all(&head(status, content_type, body.len(), &headers));
            let _ = stream.write_all(&body);
        }
        Reply::Cut {
            status,
            claimed,
            body,
        } => {
            let _ = stream.write_all(&head(status, "application/json", claimed, &[]));
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
        Reply::Close => {}
        Reply::Hang { cap, on_end } => {
            let gave_up = wait_for_peer_close(&mut stream, cap);
            on_end(gave_up);
        }
        Reply::Delayed(d, inner) => {
            std::thread::sleep(d);
            send(stream, *inner);
            return;
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// Serves `handler` on `ip:0` until the process ends; returns `http://ip:port`.
pub fn serve(ip: &str, handler: Handler) -> std::io::Result<String> {
    let listener = TcpListener::bind((ip, 0))?;
    let port = listener.local_addr()?.port();
    std::thread::Builder::new()
        .name(format!("fake-{ip}:{port}"))
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let h = handler.clone();
                let _ = std::thread::Builder::new().spawn(move || {
                    if let Some(req) = read_request(&stream) {
                        let reply = h(&req);
                        send(stream, reply);
                    }
                });
            }
        })?;
    Ok(format!("http://{ip}:{port}"))
}
