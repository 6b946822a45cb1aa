//! WebKitGTK settings the window needs on Linux (issue 17: start-up and memory).
//!
//! - Cache model `DocumentViewer`: the window loads one local page and its images come
//!   from the asset protocol; WebKit's default (`WebBrowser`) keeps large in-memory
//!   caches for back/forward pages and decoded resources a browser needs and an app
//!   does not (measured: PSS of the app tree, BENCHMARKS.md "second run").
//! - No GL compositing when the machine has no GPU render node (`/dev/dri/renderD*`):
//!   there WebKit's compositor runs on Mesa's software rasteriser, which costs start-up
//!   (EGL and shader set-up in the web process) and memory, and paints no faster than
//!   WebKit's CPU path. With a GPU, WebKit's own policy stays.
//!   `PROOFSHEET_WEBKIT_GL=1` keeps GL compositing anyway, `=0` turns it off anyway.

/// What `apply` will set, decided from the environment and the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub gl_compositing: bool,
}

impl Tuning {
    /// What is in effect once the app runs: the variable (set by `apply_env`, or by the
    /// user) turns GL compositing off; otherwise the machine decides as in `detect`.
    pub fn in_effect() -> Self {
        let off = std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|v| v != "0");
        Self {
            gl_compositing: !off && Self::detect().gl_compositing,
        }
    }

    pub fn detect() -> Self {
        let forced = std::env::var("PROOFSHEET_WEBKIT_GL").ok();
        let gl_compositing = match forced.as_deref().map(str::trim) {
            Some("1") => true,
            Some("0") => false,
            _ => has_render_node(std::path::Path::new("/dev/dri")),
        };
        Self { gl_compositing }
    }
}

/// Turns WebKit's compositing off for the whole process tree when `tuning` says so, by
/// the variable WebKitGTK reads at start-up (the UI process sets up GL before any setting
/// can reach the webview). Call first thing in `main`, before any thread exists. A value
/// the user set is left alone.
#[allow(
    unsafe_code,
    reason = "set_var before any other thread exists: nothing reads the environment concurrently"
)]
pub fn apply_env(tuning: Tuning) {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if cfg!(target_os = "linux") && !tuning.gl_compositing && std::env::var_os(VAR).is_none() {
        // SAFETY: called from `main` before the runtime, GTK or any thread starts.
        unsafe { std::env::set_var(VAR, "1") };
    }
}

/// True when `dri` holds a GPU render node (`renderD128`, …).
pub fn has_render_node(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Applies the tuning to the window's webview (Linux; elsewhere nothing to do).
pub fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>, tuning: Tuning) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(move |wv| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = wv.inner();
            if let Some(ctx) = view.context() {
                ctx.set_cache_model(CacheModel::DocumentViewer);
            }
            if !tuning.gl_compositing
                && let Some(settings) = WebViewExt::settings(&view)
            {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(e) = done {
            tracing::warn!("webview settings not applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, tuning);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_means_a_gpu_and_a_card_alone_does_not() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(!has_render_node(&dir.path().join("missing")), "no /dev/dri");
        std::fs::write(dir.path().join("card0"), b"").expect("card");
        assert!(
            !has_render_node(dir.path()),
            "a display card alone is not a render node"
        );
        std::fs::write(dir.path().join("renderD128"), b"").expect("render");
        assert!(has_render_node(dir.path()));
    }
}
