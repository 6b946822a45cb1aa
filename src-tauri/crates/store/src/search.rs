//! Turning what a designer types into safe index queries (issue 12 §1.14).
//!
//! Two indexes answer a search: `gallery_fts` (words, Porter-stemmed, so "lighthouses"
//! finds "lighthouse") and `gallery_tri` (trigrams over the same text, so a word inside
//! Japanese or Chinese text, or an emoji, is found as a substring). A term made only of
//! letters and digits of an alphabetic script is a word; anything else (CJK, kana,
//! Hangul, emoji, symbols) is a substring. Every term is required.

/// How one search is answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchPlan {
    /// FTS5 query over `gallery_fts`, when the text has words.
    pub words: Option<String>,
    /// `LIKE` patterns over `gallery_tri.body`, one per substring term.
    pub substrings: Vec<String>,
}

/// Scripts written without spaces between words: searched as substrings.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x0E00..=0x0E7F    // Thai
        | 0x20000..=0x2FA1F) // CJK Extensions B–F, compatibility supplement
}

/// Separators: whitespace, ASCII punctuation (so `%`, `_`, quotes and FTS syntax never
/// reach a query) and the common CJK punctuation.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(
            c,
            '、' | '。'
                | '，'
                | '！'
                | '？'
                | '「'
                | '」'
                | '『'
                | '』'
                | '・'
                | '：'
                | '；'
                | '（'
                | '）'
                | '　'
        )
}

fn is_word(term: &str) -> bool {
    term.chars().all(|c| c.is_alphanumeric() && !unspaced(c))
}

/// Splits user text into word and substring terms (at most 16 in all).
pub fn search_plan(text: &str) -> Option<SearchPlan> {
    let terms: Vec<&str> = text
        .split(separator)
        .filter(|t| !t.is_empty())
        .take(16)
        .collect();
    let words: Vec<&str> = terms.iter().copied().filter(|t| is_word(t)).collect();
    let substrings: Vec<String> = terms
        .iter()
        .filter(|t| !is_word(t))
        .map(|t| format!("%{t}%"))
        .collect();
    if words.is_empty() && substrings.is_empty() {
        return None;
    }
    Some(SearchPlan {
        words: fts_words(&words),
        substrings,
    })
}

/// Turns user text into a safe FTS5 query: alphanumeric words, each quoted, all required,
/// the last one as a prefix (search as you type). `None` when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    fts_words(&words)
}

fn fts_words(words: &[&str]) -> Option<String> {
    let (last, rest) = words.split_last()?;
    let mut q: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    q.push(format!("\"{last}\"*"));
    Some(q.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_substrings_and_separators() {
        let p = search_plan("lighthouses 灯台 🌅").expect("plan");
        assert_eq!(p.words.as_deref(), Some("\"lighthouses\"*"));
        assert_eq!(p.substrings, vec!["%灯台%".to_string(), "%🌅%".to_string()]);
        let p = search_plan("夕暮れの灯台、リソグラフ").expect("plan");
        assert_eq!(p.words, None);
        assert_eq!(p.substrings.len(), 2);
        assert_eq!(
            search_plan("a\" OR %_b").expect("plan").words.as_deref(),
            Some("\"a\" \"OR\" \"b\"*")
        );
        assert_eq!(search_plan("  *** ,, "), None);
        assert_eq!(
            search_plan("café").expect("plan").words.as_deref(),
            Some("\"café\"*")
        );
    }
}
