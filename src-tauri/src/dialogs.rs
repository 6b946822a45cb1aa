//! Where exports and reports go: the shell asks the user through a native dialog, so
//! the webview never hands the shell a filesystem path (review §1.7).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

type Picked<'a> = Pin<Box<dyn Future<Output = Option<PathBuf>> + Send + 'a>>;

/// Asks the user for a folder or a file to write. `None` means the user cancelled.
pub trait Dialogs: Send + Sync {
    fn pick_folder<'a>(&'a self, title: &'a str) -> Picked<'a>;
    /// `name` is only the suggestion the dialog starts with; the user may change it.
    fn pick_save<'a>(&'a self, title: &'a str, name: &'a str, extension: &'a str) -> Picked<'a>;
    /// A file to read (an input image), one of `extensions`.
    fn pick_open<'a>(&'a self, title: &'a str, extensions: &'a [&'a str]) -> Picked<'a>;
}

/// The platform's dialogs through tauri-plugin-dialog, parented to no window.
pub struct Native<R: tauri::Runtime>(pub tauri::AppHandle<R>);

impl<R: tauri::Runtime> Dialogs for Native<R> {
    fn pick_folder<'a>(&'a self, title: &'a str) -> Picked<'a> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0
            .dialog()
            .file()
            .set_title(title)
            .pick_folder(move |p| {
                let _ = tx.send(p);
            });
        Box::pin(async move { rx.await.ok().flatten()?.into_path().ok() })
    }

    fn pick_save<'a>(&'a self, title: &'a str, name: &'a str, extension: &'a str) -> Picked<'a> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0
            .dialog()
            .file()
            .set_title(title)
            .set_file_name(file_name(name, extension))
            .add_filter(extension.to_uppercase(), &[extension])
            .save_file(move |p| {
                let _ = tx.send(p);
            });
        Box::pin(async move { rx.await.ok().flatten()?.into_path().ok() })
    }

    fn pick_open<'a>(&'a self, title: &'a str, extensions: &'a [&'a str]) -> Picked<'a> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0
            .dialog()
            .file()
            .set_title(title)
            .add_filter("Images", extensions)
            .pick_file(move |p| {
                let _ = tx.send(p);
            });
        Box::pin(async move { rx.await.ok().flatten()?.into_path().ok() })
    }
}

/// A dialog that answers by itself, as a user who always picks `folder` (or cancels,
/// for `None`) would. For the IPC tests, and for e2e in debug builds, where WebDriver
/// cannot reach a native dialog. The choice still never comes from the webview.
pub struct Answer(pub Option<PathBuf>);

impl Dialogs for Answer {
    fn pick_folder<'a>(&'a self, _title: &'a str) -> Picked<'a> {
        Box::pin(async move { self.0.clone() })
    }

    fn pick_save<'a>(&'a self, _title: &'a str, name: &'a str, extension: &'a str) -> Picked<'a> {
        Box::pin(async move { Some(self.0.as_ref()?.join(file_name(name, extension))) })
    }

    /// The answer itself when it is a file; in a folder, its first file (by name) with
    /// one of `extensions`; `None` (cancelled) when there is none.
    fn pick_open<'a>(&'a self, _title: &'a str, extensions: &'a [&'a str]) -> Picked<'a> {
        Box::pin(async move {
            let answer = self.0.as_ref()?;
            if answer.is_file() {
                return Some(answer.clone());
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(answer)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
                })
                .collect();
            files.sort();
            files.into_iter().next()
        })
    }
}

/// Debug builds only: `PROOFSHEET_DIALOG_ANSWER=<folder>` answers every dialog with that
/// folder (the e2e suite sets it when it starts the app). Release builds always ask.
pub fn from_env<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Box<dyn Dialogs> {
    match std::env::var_os("PROOFSHEET_DIALOG_ANSWER").filter(|_| cfg!(debug_assertions)) {
        Some(dir) if !dir.is_empty() => Box::new(Answer(Some(PathBuf::from(dir)))),
        _ => Box::new(Native(app)),
    }
}

/// The suggested name reduced to a bare file name with the extension: a suggestion is
/// never a path, so it cannot leave the folder the user picks.
fn file_name(name: &str, extension: &str) -> String {
    let stem = Path::new(name.trim())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "..")
        .unwrap_or_else(|| "proofsheet".into());
    let dotted = format!(".{extension}");
    if stem.to_lowercase().ends_with(&dotted) {
        stem
    } else {
        format!("{stem}{dotted}")
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_suggested_name_is_only_a_file_name() {
        assert_eq!(file_name("lighthouse-spend", "csv"), "lighthouse-spend.csv");
        assert_eq!(file_name("a.CSV", "csv"), "a.CSV");
        assert_eq!(file_name("../../etc/passwd", "csv"), "passwd.csv");
        assert_eq!(file_name("/tmp/x.csv", "csv"), "x.csv");
        assert_eq!(file_name("..", "csv"), "proofsheet.csv");
        assert_eq!(file_name("  ", "csv"), "proofsheet.csv");
    }
}
