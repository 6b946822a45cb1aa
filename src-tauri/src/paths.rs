//! Paths typed by the user: a leading `~` means the home folder, as in every file dialog.

use std::path::PathBuf;

/// `~` or `~/x` → the home folder (or `home/x`); anything else unchanged.
pub fn expand_home(typed: &str, home: Option<PathBuf>) -> PathBuf {
    let t = typed.trim();
    match (t.strip_prefix('~'), home) {
        (Some(""), Some(h)) => h,
        (Some(rest), Some(h)) if rest.starts_with('/') || rest.starts_with('\\') => {
            h.join(rest.trim_start_matches(['/', '\\']))
        }
        _ => PathBuf::from(t),
    }
}

/// [`expand_home`] with this user's home folder.
pub fn user_path(typed: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    expand_home(typed, home)
}

#[cfg(test)]
mod tests {
    use super::expand_home;
    use std::path::PathBuf;

    #[test]
    fn tilde_is_the_home_folder() {
        let h = Some(PathBuf::from("/home/d"));
        assert_eq!(
            expand_home("~/Pictures/x", h.clone()),
            PathBuf::from("/home/d/Pictures/x")
        );
        assert_eq!(expand_home("~", h.clone()), PathBuf::from("/home/d"));
        assert_eq!(expand_home("/tmp/x", h.clone()), PathBuf::from("/tmp/x"));
        assert_eq!(expand_home("~bob/x", h), PathBuf::from("~bob/x"));
        assert_eq!(expand_home("~/x", None), PathBuf::from("~/x"));
    }
}
