//! One fake for every provider (OpenAI Images, Google :predict / :generateContent, BFL,
//! fal queue, Replicate, OpenRouter), on 127.0.0.1, speaking each one's documented wire
//! format (shared/reference/providers.md). A marker word `fx-<fault>` in the prompt picks
//! the failure; a tag word `tg<hex>` names the user request, so the fake can say how many
//! submissions of each request it served and which of them a real provider would bill.
//! A header logger on another host (127.0.0.2) records what follows a redirect.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use crate::http::{Reply, Request, serve};

/// Every failure the fake can play; the marker in the prompt is `fx-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Ok,
    // Sync answers (OpenAI, Google, OpenRouter).
    BrokenImage,
    BadBase64,
    TruncPng,
    EmptyData,
    TruncJson,
    Cut,
    Close,
    Hang,
    Slow,
    BigImages,
    Huge,
    /// Usage three times the formula's: a real charge above the reservation (F7).
    Over,
    Negative,
    Sixty,
    Html,
    E500,
    Echo,
    EchoNul,
    Redirect,
    // Async jobs (BFL, fal, Replicate).
    Poll500,
    PollGarbage,
    PollHtml,
    PollCut,
    PollUnknown,
    PollRedirect,
    Res404,
    ResHtml,
    ResFile,
    ResGarbage,
    Failed,
    KeyId,
    Regional,
    NegCost,
    /// Pending until healed (or forgotten).
    Pending,
    /// Ready 1.2 s after submit: long enough to be killed mid-poll (so is `Regional`).
    SlowJob,
}

impl Fault {
    fn parse(s: &str) -> Fault {
        ALL.iter()
            .find(|(n, _)| *n == s)
            .map_or(Fault::Ok, |(_, f)| *f)
    }
}

const ALL: &[(&str, Fault)] = &[
    ("ok", Fault::Ok),
    ("broken", Fault::BrokenImage),
    ("badb64", Fault::BadBase64),
    ("truncpng", Fault::TruncPng),
    ("emptydata", Fault::EmptyData),
    ("truncjson", Fault::TruncJson),
    ("cut", Fault::Cut),
    ("close", Fault::Close),
    ("hang", Fault::Hang),
    ("slow", Fault::Slow),
    ("bigimages", Fault::BigImages),
    ("huge", Fault::Huge),
    ("over", Fault::Over),
    ("negative", Fault::Negative),
    ("sixty", Fault::Sixty),
    ("html", Fault::Html),
    ("e500", Fault::E500),
    ("echo", Fault::Echo),
    ("echonul", Fault::EchoNul),
    ("redirect", Fault::Redirect),
    ("poll500", Fault::Poll500),
    ("pollgarbage", Fault::PollGarbage),
    ("pollhtml", Fault::PollHtml),
    ("pollcut", Fault::PollCut),
    ("pollunknown", Fault::PollUnknown),
    ("pollredirect", Fault::PollRedirect),
    ("res404", Fault::Res404),
    ("reshtml", Fault::ResHtml),
    ("resfile", Fault::ResFile),
    ("resgarbage", Fault::ResGarbage),
    ("failed", Fault::Failed),
    ("keyid", Fault::KeyId),
    ("regional", Fault::Regional),
    ("negcost", Fault::NegCost),
    ("pending", Fault::Pending),
    ("slowjob", Fault::SlowJob),
];

/// A poll or result fault answers this many times badly, then the job behaves.
const BAD_POLLS: u32 = 2;
/// The longest the fake holds a silent socket open.
const HANG_CAP: Duration = Duration::from_secs(8);
const SLOW: Duration = Duration::from_millis(1500);

/// What the fake saw of one user request (one tag).
#[derive(Debug, Default, Clone)]
pub struct TagStats {
    /// Submissions received (a request fully read by the fake).
    pub submissions: u32,
    /// Of those, how many a real provider would bill (it did the work, or may have).
    pub billable: u32,
    pub polls: u32,
    pub downloads: u32,
    pub cancels: u32,
    /// Silent answers the client gave up on by itself (its timeout), and ones the fake
    /// had to end (the client never gave up).
    pub client_gave_up: u32,
    pub fake_gave_up: u32,
}

#[derive(Debug, Clone)]
struct Job {
    tag: String,
    provider: &'static str,
    fault: Fault,
    created: Instant,
    polls: u32,
    /// Result fetches (image download, fal response): result faults last `BAD_POLLS`.
    fetches: u32,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Default)]
struct State {
    jobs: HashMap<String, Job>,
    tags: HashMap<String, TagStats>,
    healed: HashSet<String>,
    forgotten: HashSet<String>,
    logged: Vec<Logged>,
    unrouted: Vec<String>,
    next: u64,
}

#[derive(Clone)]
pub struct Fake {
    pub base: String,
    pub logger: String,
    state: Arc<Mutex<State>>,
}

/// Base-URL suffix per provider: one prefix each, so routing never guesses.
pub const PREFIX: &[(&str, &str)] = &[
    ("OPENAI", "/openai/v1"),
    ("GOOGLE", "/google/v1beta"),
    ("BFL", "/bfl"),
    ("FAL", "/fal"),
    ("REPLICATE", "/replicate/v1"),
    ("OPENROUTER", "/openrouter/api/v1"),
    ("XAI", "/xai/v1"),
];

impl Fake {
    pub fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let logger = serve(
            "127.0.0.2",
            Arc::new(move |r: &Request| {
                let mut headers: Vec<(String, String)> = r
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                headers.sort();
                lock(&st).logged.push(Logged {
                    method: r.method.clone(),
                    target: r.target.clone(),
                    headers,
                });
                Reply::json(500, &json!({"detail": "header logger"}))
            }),
        )
        .expect("bind the header logger on 127.0.0.2");
        let cell: Arc<OnceLock<Fake>> = Arc::new(OnceLock::new());
        let c = cell.clone();
        let base = serve(
            "127.0.0.1",
            Arc::new(move |r: &Request| match c.get() {
                Some(f) => f.handle(r),
                None => Reply::Close,
            }),
        )
        .expect("bind the fake provider");
        let fake = Fake {
            base,
            logger,
            state,
        };
        let _ = cell.set(fake.clone());
        fake
    }

    pub fn stats(&self, tag: &str) -> TagStats {
        lock(&self.state).tags.get(tag).cloned().unwrap_or_default()
    }
    /// Pending jobs of this request become Ready.
    pub fn heal(&self, tag: &str) {
        lock(&self.state).healed.insert(tag.to_string());
    }
    /// Jobs of this request are forgotten (expired at the provider): polls answer 404.
    pub fn forget(&self, tag: &str) {
        lock(&self.state).forgotten.insert(tag.to_string());
    }
    pub fn logged(&self) -> Vec<Logged> {
        lock(&self.state).logged.clone()
    }
    pub fn unrouted(&self) -> Vec<String> {
        lock(&self.state).unrouted.clone()
    }

    fn submitted(&self, tag: &str, billable: bool) {
        let mut s = lock(&self.state);
        let t = s.tags.entry(tag.to_string()).or_default();
        t.submissions += 1;
        if billable {
            t.billable += 1;
        }
        drop(s);
    }
    fn bump(&self, tag: &str, f: impl FnOnce(&mut TagStats)) {
        f(lock(&self.state).tags.entry(tag.to_string()).or_default());
    }

    fn handle(&self, r: &Request) -> Reply {
        let path = r.path().to_string();
        let key = key_of(r);
        let reply = if let Some(rest) = path.strip_prefix("/openai/v1/") {
            (r.method == "POST" && rest == "images/generations")
                .then(|| self.sync(r, "openai", &key))
        } else if let Some(rest) = path.strip_prefix("/google/v1beta/models/") {
            (r.method == "POST").then(|| {
                let p = if rest.ends_with(":predict") {
                    "imagen"
                } else {
                    "gemini"
                };
                self.sync(r, p, &key)
            })
        } else if let Some(rest) = path.strip_prefix("/openrouter/api/v1/") {
            (r.method == "POST" && rest == "chat/completions")
                .then(|| self.sync(r, "openrouter", &key))
        } else if let Some(rest) = path.strip_prefix("/xai/v1/") {
            (r.method == "POST" && matches!(rest, "images/generations" | "images/edits"))
                .then(|| self.sync(r, "xai", &key))
        } else if path.starts_with("/bfl/") {
            self.bfl(r, &path, &key)
        } else if path.starts_with("/fal/") {
            self.fal(r, &path, &key)
        } else if path.starts_with("/replicate/v1/") {
            self.replicate(r, &path, &key)
        } else {
            path.strip_prefix("/dl/").map(|file| self.download(file))
        };
        reply.unwrap_or_else(|| {
            lock(&self.state)
                .unrouted
                .push(format!("{} {}", r.method, r.target));
            Reply::json(404, &json!({"detail": "the fault fake has no such route"}))
        })
    }

    fn new_job(&self, tag: &str, provider: &'static str, fault: Fault, key: &str) -> String {
        let mut s = lock(&self.state);
        s.next += 1;
        let id = if fault == Fault::KeyId {
            format!("{key}{}", s.next)
        } else {
            format!("{tag}-{provider}-{}", s.next)
        };
        s.jobs.insert(
            id.clone(),
            Job {
                tag: tag.to_string(),
                provider,
                fault,
                created: Instant::now(),
                polls: 0,
                fetches: 0,
            },
        );
        id
    }

    /// The job as of this poll (counted), or None when unknown or forgotten.
    fn poll_job(&self, id: &str) -> Option<Job> {
        let mut s = lock(&self.state);
        let forgotten = s.jobs.get(id).is_some_and(|j| s.forgotten.contains(&j.tag));
        if forgotten {
            return None;
        }
        let j = s.jobs.get_mut(id)?;
        j.polls += 1;
        let j = j.clone();
        s.tags.entry(j.tag.clone()).or_default().polls += 1;
        drop(s);
        Some(j)
    }

    fn ready(&self, j: &Job) -> bool {
        match j.fault {
            Fault::Pending => lock(&self.state).healed.contains(&j.tag),
            Fault::SlowJob | Fault::Regional => {
                j.created.elapsed() >= Duration::from_millis(1200)
                    || lock(&self.state).healed.contains(&j.tag)
            }
            _ => true,
        }
    }

    /// The fault's bad poll answer while it lasts, else None (answer normally).
    fn bad_poll(&self, j: &Job) -> Option<Reply> {
        if j.polls > BAD_POLLS {
            return None;
        }
        Some(match j.fault {
            Fault::Poll500 => Reply::json(500, &json!({"detail": "temporary glitch"})),
            Fault::PollGarbage => Reply::raw(200, "application/json", "{not json"),
            Fault::PollHtml => Reply::raw(200, "text/html", HTML_502),
            Fault::PollCut => Reply::Cut {
                status: 200,
                claimed: 500,
                body: br#"{"status": "Pen"#.to_vec(),
            },
            Fault::PollUnknown => {
                let st = match j.provider {
                    "bfl" => "Exploded",
                    "fal" => "EXPLODED",
                    _ => "exploded",
                };
                Reply::json(200, &json!({"id": "x", "status": st}))
            }
            Fault::PollRedirect => {
                Reply::redirect(&format!("{}/steal/poll/{}", self.logger, j.tag))
            }
            _ => return None,
        })
    }

    /// Counts a result fetch; true while a result fault still answers badly.
    fn bad_fetch(&self, id: &str) -> bool {
        let mut s = lock(&self.state);
        s.jobs.get_mut(id).is_some_and(|j| {
            j.fetches += 1;
            j.fetches <= BAD_POLLS
        })
    }

    fn result_url(&self, j: &Job, id: &str) -> String {
        match j.fault {
            Fault::ResFile if j.polls <= BAD_POLLS => "file:///etc/passwd".into(),
            _ => format!("{}/dl/{id}.png", self.base),
        }
    }

    fn download(&self, file: &str) -> Reply {
        let id = file.trim_end_matches(".png");
        let job = lock(&self.state).jobs.get(id).cloned();
        let Some(j) = job else {
            return Reply::json(404, &json!({"detail": "no such file"}));
        };
        self.bump(&j.tag, |t| t.downloads += 1);
        let bad = self.bad_fetch(id);
        match j.fault {
            Fault::Res404 if bad => Reply::json(404, &json!({"detail": "expired"})),
            Fault::ResHtml if bad => Reply::raw(200, "text/html", HTML_502),
            _ => Reply::raw(200, "image/png", png_small().to_vec()),
        }
    }
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

const HTML_502: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
const NGINX: &str = "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>";

/// The key the request carries, whatever header the provider uses.
fn key_of(r: &Request) -> String {
    for h in ["x-key", "x-goog-api-key"] {
        if let Some(v) = r.header(h) {
            return v.to_string();
        }
    }
    r.header("authorization")
        .map(|a| a.split_once(' ').map_or(a, |(_, k)| k).to_string())
        .unwrap_or_default()
}

/// `tg` + 10 hex digits anywhere in the body names the request.
pub fn tag_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(11)).find_map(|i| {
        let w = &b[i..i + 12];
        (w.starts_with(b"tg")
            && w[2..]
                .iter()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        .then(|| String::from_utf8_lossy(w).into_owned())
    })
}

pub fn fault_in(text: &str) -> Fault {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find_map(|w| w.strip_prefix("fx-"))
        .map_or(Fault::Ok, Fault::parse)
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn encode_png(img: image::RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub fn png_small() -> &'static [u8] {
    static P: OnceLock<Vec<u8>> = OnceLock::new();
    P.get_or_init(|| {
        encode_png(image::RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 4) as u8, 90])
        }))
    })
}

/// A 512² noise image (slow to store, so a kill lands while images are stored), made
/// unique per call with a text chunk so every call stores a new file. Encoded once.
pub fn png_big(variant: u64) -> Vec<u8> {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let mut s = 0x9e37_79b9_u32;
        encode_png(image::RgbImage::from_fn(512, 512, |_, _| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let b = s.to_le_bytes();
            image::Rgb([b[0], b[1], b[2]])
        }))
    });
    let data = format!("Comment\0fault {variant}");
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(data.as_bytes());
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32(&typed).to_be_bytes());
    let iend = base.len() - 12;
    let mut out = base[..iend].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&base[iend..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffff_u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

mod providers;
