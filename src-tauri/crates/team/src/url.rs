//! The team database URL: the password is split off (it goes to the keychain) and the
//! rest is kept, redacted, in the config file.

use crate::error::{Result, TeamError};

/// A `postgres://` URL with its password removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// The URL without a password (safe to store and print).
    pub redacted: String,
    /// The password the URL carried, if any (for the keychain, never for a file).
    pub password: Option<String>,
}

/// Splits the password off a `postgres://` / `postgresql://` URL. A `password=` query
/// parameter is refused (it would end up in the config file); key=value strings too.
pub fn split_password(url: &str) -> Result<DbUrl> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(TeamError::Invalid(
            "the team database must be a postgres://user@host:port/dbname URL".into(),
        ));
    };
    if scheme != "postgres" && scheme != "postgresql" {
        return Err(TeamError::Invalid(format!(
            "the team database URL must start with postgres:// (got {scheme}://)"
        )));
    }
    if rest.contains("password=") {
        return Err(TeamError::Invalid(
            "put the password in the URL's user part (postgres://user:PASSWORD@host/db) or on \
             stdin, not as a password= parameter"
                .into(),
        ));
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(TeamError::Invalid(
            "the team database URL names no host".into(),
        ));
    }
    let (user, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((user, pw)) => (Some(user), Some(percent_decode(pw))),
            None => (Some(u), None),
        },
        None => (None, None),
    };
    let redacted = match user {
        Some(user) => format!("{scheme}://{user}@{host}{tail}"),
        None => format!("{scheme}://{host}{tail}"),
    };
    Ok(DbUrl {
        redacted,
        password: password.filter(|p| !p.is_empty()),
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_password_is_split_off_and_the_rest_kept() {
        let u =
            split_password("postgres://ana:s%40cret@db.studio:5432/team?sslmode=disable").unwrap();
        assert_eq!(
            u.redacted,
            "postgres://ana@db.studio:5432/team?sslmode=disable"
        );
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        let u = split_password("postgresql://ana@127.0.0.1/team").unwrap();
        assert_eq!(u.password, None);
        assert_eq!(u.redacted, "postgresql://ana@127.0.0.1/team");
    }

    #[test]
    fn urls_that_would_leak_or_mean_nothing_are_refused() {
        for bad in [
            "mysql://a@b/c",
            "host=db user=ana",
            "postgres://ana@db/team?password=x",
            "postgres:///team",
        ] {
            assert!(split_password(bad).is_err(), "{bad}");
        }
    }
}
