//! Export: PNGs carrying their parameters (AUTOMATIC1111 `parameters` text chunk) with a
//! JSON sidecar, and CSV spend lines for client invoices. Export file names read like the
//! work (project, prompt, date, short id); every name goes through [`sanitize_file_name`]
//! and [`safe_join`].

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::files::atomic_write;
use crate::generations::{AttemptRecord, GenerationRecord};
use crate::images::ImageRecord;
use crate::types::{GenerationId, ProjectId};

/// Files written by [`Store::export_generation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedGeneration {
    pub images: Vec<PathBuf>,
    pub sidecar: PathBuf,
}

/// A file name safe on every OS: no separators, no leading dots, no control or reserved
/// characters, no reserved device names, at most 100 characters.
pub fn sanitize_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '.' || c == ' ').to_string();
    let stem = trimmed
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if trimmed.is_empty() {
        "export".to_string()
    } else if RESERVED.contains(&stem.as_str()) {
        format!("_{trimmed}")
    } else {
        trimmed
    }
}

/// "Lighthouse-rebrand_a-lighthouse-at-dusk-risograph_2026-11-29_fae1002f": project, the
/// prompt's first words, the day it was made and a short id (so two exports never clash).
pub fn export_stem(
    project: &str,
    prompt: &str,
    created_at: chrono::DateTime<chrono::Utc>,
    id: GenerationId,
) -> String {
    let words = |s: &str, n: usize| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(n)
            .collect::<Vec<_>>()
            .join("-")
    };
    let short: String = id.to_string().chars().take(8).collect();
    let mut parts = vec![words(project, 4), words(prompt, 6)];
    parts.retain(|p| !p.is_empty());
    parts.push(created_at.format("%Y-%m-%d").to_string());
    parts.push(short);
    sanitize_file_name(&parts.join("_"))
}

/// Joins a single file name onto `dir`, refusing anything that could leave it.
pub fn safe_join(dir: &Path, name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    let mut comps = p.components();
    match (comps.next(), comps.next()) {
        (Some(Component::Normal(_)), None) if !name.contains(['/', '\\']) => Ok(dir.join(p)),
        _ => Err(StoreError::InvalidInput(format!(
            "{name:?} is not a plain file name; exports stay inside the chosen folder"
        ))),
    }
}

fn a1111_value(v: &str) -> String {
    if v.contains([',', ':', '"', '\n']) {
        serde_json::to_string(v).unwrap_or_default()
    } else {
        v.to_string()
    }
}

/// The AUTOMATIC1111 `parameters` text: prompt, `Negative prompt:` line, then
/// `Key: value` pairs (`Steps: 30, Seed: 42, Size: 1024x1024, Model: …`).
pub fn a1111_parameters(g: &GenerationRecord, seed: Option<i64>) -> String {
    let r = &g.request;
    let mut out = r.prompt.clone();
    if let Some(neg) = r
        .negative_prompt
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        let _ = write!(out, "\nNegative prompt: {neg}");
    }
    let mut kv: Vec<(&str, String)> = Vec::new();
    if let Some(s) = r.steps {
        kv.push(("Steps", s.to_string()));
    }
    if let Some(s) = seed.or(r.seed.and_then(|s| i64::try_from(s).ok())) {
        kv.push(("Seed", s.to_string()));
    }
    kv.push(("Size", format!("{}x{}", r.width, r.height)));
    kv.push(("Model", a1111_value(&r.model)));
    if let Some(v) = &r.model_version {
        kv.push(("Model version", a1111_value(v)));
    }
    kv.push(("Provider", a1111_value(&r.provider)));
    if let Some(q) = &r.quality {
        kv.push(("Quality", a1111_value(q)));
    }
    if let Some(s) = &r.style {
        kv.push(("Style", a1111_value(s)));
    }
    kv.push((
        "Version",
        format!("Proofsheet {}", env!("CARGO_PKG_VERSION")),
    ));
    let pairs: Vec<String> = kv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = write!(out, "\n{}", pairs.join(", "));
    out
}

fn crc32(data: &[&[u8]]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for part in data {
        for &b in *part {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

/// Inserts a `parameters` text chunk right after IHDR: tEXt when the text is Latin-1,
/// otherwise iTXt (UTF-8), as AUTOMATIC1111 does. The image data is not re-encoded.
fn png_with_parameters(png: &[u8], text: &str) -> Result<Vec<u8>> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    let bad = || StoreError::UnsupportedImage("malformed PNG".into());
    if png.len() < 33 || &png[..8] != SIG || &png[12..16] != b"IHDR" {
        return Err(bad());
    }
    let ihdr_len = u32::from_be_bytes([png[8], png[9], png[10], png[11]]) as usize;
    let ihdr_end = 8 + 12 + ihdr_len;
    if png.len() < ihdr_end {
        return Err(bad());
    }
    let (kind, data): (&[u8; 4], Vec<u8>) = if text.chars().all(|c| (c as u32) < 256) {
        let mut d = b"parameters\0".to_vec();
        d.extend(text.chars().map(|c| c as u8));
        (b"tEXt", d)
    } else {
        let mut d = b"parameters\0\0\0\0\0".to_vec();
        d.extend_from_slice(text.as_bytes());
        (b"iTXt", d)
    };
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&png[..ihdr_end]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(&data);
    out.extend_from_slice(&crc32(&[kind, &data]).to_be_bytes());
    out.extend_from_slice(&png[ihdr_end..]);
    Ok(out)
}

fn to_png(bytes: &[u8]) -> Result<Vec<u8>> {
    let img =
        image::load_from_memory(bytes).map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
    Ok(out)
}

#[derive(Serialize)]
struct Sidecar<'a> {
    generation: &'a GenerationRecord,
    cost_usd: rust_decimal::Decimal,
    saved_usd: rust_decimal::Decimal,
    provider: &'a str,
    model: &'a str,
    attempts: &'a [AttemptRecord],
    images: &'a [ImageRecord],
    parent_id: Option<GenerationId>,
    children_ids: Vec<GenerationId>,
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would run as a formula when the invoice is opened in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl Store {
    /// Writes `<stem>-<idx>.png` per image (with its parameters) and `<stem>.json` into
    /// `dest_dir` (created if missing); see [`export_stem`] for the stem.
    pub fn export_generation(
        &self,
        generation: GenerationId,
        dest_dir: &Path,
    ) -> Result<ExportedGeneration> {
        self.export_images(generation, dest_dir, None)
    }

    /// Like [`Store::export_generation`], but only the variation with index `only` when set.
    pub fn export_images(
        &self,
        generation: GenerationId,
        dest_dir: &Path,
        only: Option<u32>,
    ) -> Result<ExportedGeneration> {
        let mut detail = self.generation_detail(generation)?;
        if let Some(idx) = only {
            detail.images.retain(|i| i.idx == idx);
            if detail.images.is_empty() {
                return Err(StoreError::not_found(
                    "image",
                    format!("{generation}#{idx}"),
                ));
            }
        }
        let project = self.project(detail.generation.project_id)?.name;
        let stem = export_stem(
            &project,
            &detail.generation.prompt,
            detail.generation.created_at,
            generation,
        );
        std::fs::create_dir_all(dest_dir).map_err(|e| StoreError::io(dest_dir, e))?;
        let mut images = Vec::new();
        for img in &detail.images {
            let src = self.absolute(&img.path);
            let bytes = std::fs::read(&src).map_err(|e| StoreError::io(&src, e))?;
            let png = if img.mime == vocab::ImageMime::Png {
                bytes
            } else {
                to_png(&bytes)?
            };
            let text = a1111_parameters(&detail.generation, img.seed);
            let out = safe_join(dest_dir, &format!("{stem}-{}.png", img.idx))?;
            atomic_write(&out, &png_with_parameters(&png, &text)?, false)?;
            images.push(out);
        }
        let g = &detail.generation;
        let sidecar = Sidecar {
            generation: g,
            cost_usd: g.cost,
            saved_usd: g.saved,
            provider: g.provider.as_str(),
            model: &g.model,
            attempts: &detail.attempts,
            images: &detail.images,
            parent_id: g.parent_id,
            children_ids: detail.children.iter().map(|c| c.id).collect(),
        };
        let path = safe_join(dest_dir, &format!("{stem}.json"))?;
        atomic_write(&path, &serde_json::to_vec_pretty(&sidecar)?, false)?;
        Ok(ExportedGeneration {
            images,
            sidecar: path,
        })
    }

    /// Spend lines of a project as CSV: one line per generation that cost or saved money.
    pub fn spend_csv(&self, project: ProjectId) -> Result<String> {
        let rows = self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT datetime(g.created_at / 1000, 'unixepoch'), g.id, g.status, g.tier,
                        g.provider, g.model, coalesce(g.offer_id, ''), g.prompt,
                        (SELECT count(*) FROM attempts a WHERE a.generation_id = g.id),
                        g.estimate_nanos, g.cost_nanos, g.saved_nanos
                 FROM generations g WHERE g.project_id = ?1 AND (g.cost_nanos > 0 OR g.saved_nanos > 0)
                 ORDER BY g.created_at, g.id",
            )?;
            let rows = st.query_map([project], |r| {
                let cols: Vec<String> = (0..8)
                    .map(|i| r.get::<_, String>(i))
                    .collect::<rusqlite::Result<_>>()?;
                Ok((cols, r.get::<_, i64>(8)?, r.get::<_, Option<i64>>(9)?, r.get::<_, i64>(10)?, r.get::<_, i64>(11)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let mut out = String::from(
            "date_utc,generation_id,status,tier,provider,model,offer_id,prompt,attempts,estimate_usd,cost_usd,saved_usd\n",
        );
        for (cols, attempts, est, cost, saved) in rows {
            let fields: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
            let est = est
                .map(|e| crate::money::from_nanos(e).to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{},{attempts},{est},{},{}",
                fields.join(","),
                crate::money::from_nanos(cost),
                crate::money::from_nanos(saved)
            );
        }
        Ok(out)
    }

    /// Writes [`Store::spend_csv`] to `dest_dir/<sanitized file_name>`, UTF-8 with a BOM.
    pub fn export_spend_csv(
        &self,
        project: ProjectId,
        dest_dir: &Path,
        file_name: &str,
    ) -> Result<PathBuf> {
        let csv = self.spend_csv(project)?;
        self.write_csv_file(dest_dir, file_name, &csv)
    }

    /// Writes `csv` to `dest_dir/<sanitized file_name>` (`.csv` added when missing),
    /// UTF-8 with a byte-order mark.
    pub fn write_csv_file(&self, dest_dir: &Path, file_name: &str, csv: &str) -> Result<PathBuf> {
        let mut name = sanitize_file_name(file_name);
        if !name.to_ascii_lowercase().ends_with(".csv") {
            name.push_str(".csv");
        }
        std::fs::create_dir_all(dest_dir).map_err(|e| StoreError::io(dest_dir, e))?;
        let path = safe_join(dest_dir, &name)?;
        // A UTF-8 byte-order mark so spreadsheets (Excel above all) read non-Latin
        // prompts correctly instead of guessing a legacy code page (issue 12 §1.19.8).
        let mut bytes = Vec::with_capacity(csv.len() + 3);
        bytes.extend_from_slice("\u{FEFF}".as_bytes());
        bytes.extend_from_slice(csv.as_bytes());
        atomic_write(&path, &bytes, true)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_known_value() {
        // CRC of "IEND" is the constant every PNG ends with.
        assert_eq!(super::crc32(&[b"IEND"]), 0xae42_6082);
    }
}
