//! Reading a received multipart/form-data body back into its parts, so contract tests can
//! assert the exact part names, file names, types and bytes a client sent.
#![allow(dead_code)]

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct FormPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl FormPart {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn param(header: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = header.find(&pat)? + pat.len();
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_string())
}

/// The parts of a received request, in order. Panics (test helper) when the request is
/// not multipart/form-data.
pub fn parts(req: &wiremock::Request) -> Vec<FormPart> {
    let ct = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("multipart/form-data"),
        "expected multipart/form-data, got '{ct}'"
    );
    let boundary = ct
        .split("boundary=")
        .nth(1)
        .expect("multipart boundary")
        .trim_matches('"')
        .to_string();
    let delim = format!("--{boundary}").into_bytes();
    let body = &req.body;
    let mut out = Vec::new();
    let mut pos = find(body, &delim, 0).expect("first boundary") + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        pos += 2; // CRLF after the boundary
        let head_end = find(body, b"\r\n\r\n", pos).expect("part headers");
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_string();
        let data_start = head_end + 4;
        let next = find(body, &delim, data_start).expect("next boundary");
        let data = body[data_start..next - 2].to_vec(); // drop the CRLF before the boundary
        let mut name = String::new();
        let mut file_name = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                name = param(line, "name").unwrap_or_default();
                file_name = param(line, "filename");
            } else if lower.starts_with("content-type:") {
                content_type = Some(line["content-type:".len()..].trim().to_string());
            }
        }
        out.push(FormPart {
            name,
            file_name,
            content_type,
            bytes: data,
        });
        pos = next + delim.len();
    }
    out
}

/// The text of the only part named `name`, if any.
pub fn text_of(parts: &[FormPart], name: &str) -> Option<String> {
    let found: Vec<&FormPart> = parts.iter().filter(|p| p.name == name).collect();
    assert!(found.len() <= 1, "part '{name}' sent {} times", found.len());
    found.first().map(|p| p.text())
}

/// Every part named `name`, in order.
pub fn all<'a>(parts: &'a [FormPart], name: &str) -> Vec<&'a FormPart> {
    parts.iter().filter(|p| p.name == name).collect()
}
