//! Chinese line breaking on a character grid (避头尾, GB/T 15834 practice).
//!
//! Every full-width character takes one cell, half-width characters half a cell, so text
//! sits on the 28-character grid. A line never starts with closing punctuation and never
//! ends with opening punctuation; a run of Latin letters or digits is not split unless it
//! is longer than a line.

/// Characters that must not start a line.
pub fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』”’〕】〉…—·％‰,.;:?!)]}%".contains(c)
}

/// Characters that must not end a line.
pub fn no_line_end(c: char) -> bool {
    "（《「『“‘〔【〈([{".contains(c)
}

/// Width of a character in grid cells.
pub fn cells(c: char) -> f64 {
    if c.is_ascii() || ('\u{ff61}'..='\u{ff9f}').contains(&c) {
        0.5
    } else {
        1.0
    }
}

/// Splits text into unbreakable tokens: a run of ASCII letters/digits (with . , % inside
/// numbers) is one token; everything else is one character.
fn tokens(text: &str) -> Vec<Vec<char>> {
    let mut out: Vec<Vec<char>> = Vec::new();
    let mut run: Vec<char> = Vec::new();
    for c in text.chars() {
        let in_word = c.is_ascii_alphanumeric()
            || (!run.is_empty() && matches!(c, '.' | '%' | '-' | '/' | ':'));
        if in_word {
            run.push(c);
        } else {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(vec![c]);
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

fn width(tok: &[char]) -> f64 {
    tok.iter().map(|&c| cells(c)).sum()
}

/// Breaks `text` into lines; `widths(i)` is the room of line `i` in cells.
/// Returns the character ranges (start, end) of each line.
pub fn break_lines(text: &str, widths: impl Fn(usize) -> f64) -> Vec<(usize, usize)> {
    let toks = tokens(text);
    // Expand tokens longer than any line into characters.
    let mut lines: Vec<Vec<Vec<char>>> = vec![Vec::new()];
    let mut used = 0.0;
    let eps = 1e-6;
    let mut queue: std::collections::VecDeque<Vec<char>> = toks.into();
    while let Some(tok) = queue.pop_front() {
        let room = widths(lines.len() - 1);
        let w = width(&tok);
        if used + w <= room + eps {
            used += w;
            if let Some(l) = lines.last_mut() {
                l.push(tok);
            }
            continue;
        }
        if w > room + eps && tok.len() > 1 {
            // A word longer than a line: split it into characters.
            for c in tok.into_iter().rev() {
                queue.push_front(vec![c]);
            }
            continue;
        }
        // Does not fit: the line ends here. Keep the rules by moving tokens down.
        let mut carry: Vec<Vec<char>> = vec![tok];
        if let Some(cur) = lines.last_mut() {
            // Closing punctuation may not begin the next line: take the previous token with it.
            while carry[0].first().is_some_and(|&c| no_line_start(c)) && cur.len() > 1 {
                if let Some(t) = cur.pop() {
                    carry.insert(0, t);
                }
            }
            // Opening punctuation may not end this line.
            while cur
                .last()
                .and_then(|t| t.last())
                .is_some_and(|&c| no_line_end(c))
                && cur.len() > 1
            {
                if let Some(t) = cur.pop() {
                    carry.insert(0, t);
                }
            }
        }
        lines.push(Vec::new());
        used = 0.0;
        for t in carry.into_iter().rev() {
            queue.push_front(t);
        }
    }
    let mut ranges = Vec::new();
    let mut pos = 0;
    for l in lines {
        let n: usize = l.iter().map(Vec::len).sum();
        ranges.push((pos, pos + n));
        pos += n;
    }
    if ranges.len() > 1 && ranges.last().is_some_and(|r| r.0 == r.1) {
        ranges.pop();
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, w: f64) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        break_lines(text, |_| w)
            .into_iter()
            .map(|(a, b)| chars[a..b].iter().collect())
            .collect()
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let l = lines("一二三四五，六七八九十", 5.0);
        assert_eq!(l, vec!["一二三四", "五，六七八", "九十"]);
        for line in &l {
            assert!(!line.starts_with(no_line_start));
        }
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        let l = lines("一二三四《五六》", 5.0);
        assert_eq!(l[0], "一二三四");
        assert!(l[1].starts_with('《'));
    }

    #[test]
    fn numbers_stay_whole_and_count_half_cells() {
        let l = lines("一二三2026年", 5.0);
        assert_eq!(l, vec!["一二三2026", "年"]);
        let l = lines("一二三四20261231年", 5.0);
        assert_eq!(l[0], "一二三四");
    }

    #[test]
    fn full_lines_hold_28_characters() {
        let text: String = std::iter::repeat_n('字', 60).collect();
        let l = lines(&text, 28.0);
        assert_eq!(
            l.iter().map(|s| s.chars().count()).collect::<Vec<_>>(),
            vec![28, 28, 4]
        );
    }
}
