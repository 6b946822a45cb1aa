//! SQLite ledger and gallery, content-addressed image files, dedup keys.
