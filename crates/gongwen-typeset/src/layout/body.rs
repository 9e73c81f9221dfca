//! 主体 (7.3) up to the signature: 标题, 主送机关, 正文 with its headings, 附件说明, and
//! the 附件 pages after the signature.

use gongwen_core::{Document, ParagraphLevel};

use crate::fonts::FontRole;
use crate::linebreak::{break_lines, cells};
use crate::model::{pt_to_mm, Ink};

use super::grid::{cells_of, Ctx, Origin};
use super::{Format, HeaderTemplate};

const MINUTES_LABELS: [&str; 3] = ["出席：", "请假：", "列席："];

/// 标题 (7.3.1): 2号小标宋, centred, broken by [`split_title`]; 主送机关 one line below.
pub(super) fn title(cx: &mut Ctx, doc: &Document, template: &HeaderTemplate, format: Format) {
    let cfg = cx.cfg;
    // An order's mark is its title (宿州市人民政府令); it is not printed twice.
    let title_is_mark =
        format == Format::Order && template.marks.iter().any(|m| m.trim() == doc.title.trim());
    if !doc.title.trim().is_empty() && !title_is_mark {
        let size = cfg.title_size_pt;
        let title_cell = pt_to_mm(size);
        let max = (cfg.body_width_mm / title_cell).floor() as usize;
        let mut protected: Vec<String> = doc.issuer_signature.clone();
        protected.extend(template.marks.iter().cloned());
        protected.extend(
            doc.issuer_mark
                .iter()
                .map(|m| m.trim_end_matches("文件").to_string()),
        );
        let lines = split_title(doc.title.trim(), max, &protected);
        let mut offset = 0;
        for l in &lines {
            if cx.line >= cfg.lines_per_page {
                cx.new_page();
            }
            let w = Ctx::text_width(l, title_cell);
            let x = cfg.left_mm + (cfg.body_width_mm - w) / 2.0;
            // Centre the 2号 em box on the grid line's 3号 em box.
            let top = cfg.line_top(cx.line) - (pt_to_mm(size) - pt_to_mm(cfg.body_size_pt)) / 2.0;
            let o = Origin {
                element: "标题",
                paragraph: 0,
                offset,
            };
            cx.text_at(
                &[(l, FontRole::XiaoBiaoSong)],
                size,
                x,
                top,
                title_cell,
                Ink::Black,
                o,
            );
            offset += l.chars().count();
            cx.line += 1;
        }
        cx.line += 1; // 主送机关 one line below the title (空一行).
    }
}

/// 主送机关 (7.3.2): one line, flush left, ending in a full-width colon.
pub(super) fn main_recipients(cx: &mut Ctx, doc: &Document) {
    let origin = Origin::of;
    let text = doc.main_recipients_line();
    if !text.is_empty() {
        cx.paragraph(
            &text,
            0.0,
            0.0,
            &[(text.chars().count(), FontRole::FangSong)],
            origin("主送机关"),
        );
    }
}

/// 正文 (7.3.3): paragraphs indented 2 characters, headings in their fonts; 纪要 attendee
/// lines with a 黑体 label.
pub(super) fn paragraphs(cx: &mut Ctx, doc: &Document, format: Format) {
    for (pi, p) in doc.body.paragraphs().iter().enumerate() {
        let o = Origin {
            element: "正文",
            paragraph: pi,
            offset: 0,
        };
        let n = p.text.chars().count();
        let roles =
            if format == Format::Minutes && MINUTES_LABELS.iter().any(|l| p.text.starts_with(l)) {
                vec![(3, FontRole::HeiTi), (n, FontRole::FangSong)]
            } else {
                heading_roles(&p.text, p.level)
            };
        let rest = if format == Format::Minutes && roles[0].1 == FontRole::HeiTi && roles[0].0 == 3
        {
            5.0 // 纪要 attendee lists: wrapped names align after the colon.
        } else {
            0.0
        };
        cx.paragraph(&p.text, 2.0, rest, &roles, o);
    }
}

/// 附件说明 (7.3.4): one line below the body, 2-character indent. Returns the attachment
/// names, which [`attachment_pages`] prints after the signature.
pub(super) fn attachment_list<'d>(cx: &mut Ctx, doc: &'d Document) -> Vec<&'d str> {
    let origin = Origin::of;
    let names: Vec<&str> = doc
        .attachments
        .iter()
        .map(|a| a.name.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !names.is_empty() {
        cx.line += 1;
        if names.len() == 1 {
            let text = format!("附件：{}", names[0]);
            let n = text.chars().count();
            cx.paragraph(
                &text,
                2.0,
                5.0,
                &[(n, FontRole::FangSong)],
                origin("附件说明"),
            );
        } else {
            for (i, name) in names.iter().enumerate() {
                let num = format!("{}.", i + 1);
                let text = if i == 0 {
                    format!("附件：{num}{name}")
                } else {
                    format!("{num}{name}")
                };
                let first = if i == 0 { 2.0 } else { 5.0 };
                let hang = 5.0 + cells_of(&num);
                let n = text.chars().count();
                cx.paragraph(
                    &text,
                    first,
                    hang,
                    &[(n, FontRole::FangSong)],
                    Origin {
                        element: "附件说明",
                        paragraph: i,
                        offset: 0,
                    },
                );
            }
        }
    }
    names
}

/// 附件 (7.3.7): each attachment on a new page, 附件 and its number in 黑体 at the top left,
/// its title centred like the document's.
pub(super) fn attachment_pages(cx: &mut Ctx, names: &[&str]) {
    let cfg = cx.cfg;
    let origin = Origin::of;
    for (i, name) in names.iter().enumerate() {
        cx.new_page();
        let label = if names.len() > 1 {
            format!("附件{}", i + 1)
        } else {
            "附件".to_string()
        };
        cx.grid_line(&[(&label, FontRole::HeiTi)], 0.0, origin("附件"));
        cx.line += 1;
        let size = cfg.title_size_pt;
        let cell = pt_to_mm(size);
        for l in split_title(name, (cfg.body_width_mm / cell).floor() as usize, &[]) {
            let w = Ctx::text_width(&l, cell);
            let top = cfg.line_top(cx.line) - (cell - pt_to_mm(cfg.body_size_pt)) / 2.0;
            cx.text_at(
                &[(&l, FontRole::XiaoBiaoSong)],
                size,
                cfg.left_mm + (cfg.body_width_mm - w) / 2.0,
                top,
                cell,
                Ink::Black,
                Origin {
                    element: "附件",
                    paragraph: i,
                    offset: 0,
                },
            );
            cx.line += 1;
        }
    }
}

/// Chooses title line breaks: balanced lines (梯形/菱形), never inside a protected word
/// (the issuer's name), never against the punctuation rules.
pub fn split_title(title: &str, max_chars: usize, protected: &[String]) -> Vec<String> {
    let chars: Vec<char> = title.chars().collect();
    let len: f64 = chars.iter().map(|&c| cells(c)).sum();
    if len <= max_chars as f64 || chars.len() < 2 {
        return vec![title.to_string()];
    }
    // Positions where a break is not allowed (inside a protected word, inside an ASCII word).
    let mut forbidden = vec![false; chars.len() + 1];
    for word in protected.iter().filter(|w| w.chars().count() > 1) {
        let w: Vec<char> = word.chars().collect();
        for s in 0..chars.len().saturating_sub(w.len() - 1) {
            if chars[s..s + w.len()] == w[..] {
                for f in forbidden.iter_mut().take(s + w.len()).skip(s + 1) {
                    *f = true;
                }
            }
        }
    }
    for i in 1..chars.len() {
        if chars[i - 1].is_ascii_alphanumeric() && chars[i].is_ascii_alphanumeric() {
            forbidden[i] = true;
        }
        if crate::linebreak::no_line_start(chars[i]) || crate::linebreak::no_line_end(chars[i - 1])
        {
            forbidden[i] = true;
        }
    }
    let widths: Vec<f64> = chars.iter().map(|&c| cells(c)).collect();
    let prefix: Vec<f64> = std::iter::once(0.0)
        .chain(widths.iter().scan(0.0, |s, w| {
            *s += w;
            Some(*s)
        }))
        .collect();
    // Good places to break: after 关于/的/、/closing quotes, before 关于/opening quotes, at
    // the end of the issuer's name. Elsewhere a break may split a word (优|化), so it costs.
    let mut good = vec![false; chars.len() + 1];
    for (b, g) in good.iter_mut().enumerate().take(chars.len()).skip(1) {
        let before: String = chars[..b].iter().collect();
        let after: String = chars[b..].iter().collect();
        *g = "的、”》） \u{3000}".contains(chars[b - 1])
            || before.ends_with("关于")
            || after.starts_with("关于")
            || "“《（".contains(chars[b])
            || protected
                .iter()
                .any(|w| w.chars().count() > 1 && before.ends_with(w.as_str()));
    }
    let lines = (len / max_chars as f64).ceil() as usize;
    let mut best: Option<(f64, Vec<usize>)> = None;
    // Few lines and ≤ ~60 characters: an exhaustive search over break points is instant.
    for n in lines..=lines + 1 {
        let ideal = len / n as f64;
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new())];
        while let Some((start, breaks)) = stack.pop() {
            if breaks.len() == n - 1 {
                let last = prefix[chars.len()] - prefix[start];
                if last > max_chars as f64 {
                    continue;
                }
                let mut all = breaks.clone();
                all.push(chars.len());
                let mut cost = 0.0;
                let mut prev = 0;
                let mut lens = Vec::new();
                for &b in &all {
                    if b < chars.len() && !good[b] {
                        cost += 30.0;
                    }
                    let l = prefix[b] - prefix[prev];
                    cost += (l - ideal).powi(2);
                    lens.push(l);
                    prev = b;
                }
                // Prefer a diamond or trapezoid: no line longer than both neighbours' mean by
                // much, and an extra line only when it buys a clearly better shape.
                cost += (n - lines) as f64 * 8.0;
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, breaks));
                }
                continue;
            }
            for b in start + 1..chars.len() {
                let l = prefix[b] - prefix[start];
                if l > max_chars as f64 {
                    break;
                }
                if !forbidden[b] {
                    let mut nb = breaks.clone();
                    nb.push(b);
                    stack.push((b, nb));
                }
            }
        }
    }
    let breaks = match best {
        Some((_, b)) => b,
        None => {
            // No allowed break: fall back to the plain grid breaking.
            return break_lines(title, |_| max_chars as f64)
                .into_iter()
                .map(|(a, b)| chars[a..b].iter().collect())
                .collect();
        }
    };
    let mut out = Vec::new();
    let mut prev = 0;
    for b in breaks.into_iter().chain(std::iter::once(chars.len())) {
        // A space between joint issuers' names is a break, not part of a centred line.
        let line: String = chars[prev..b].iter().collect();
        out.push(line.trim().to_string());
        prev = b;
    }
    out
}

fn heading_roles(text: &str, level: ParagraphLevel) -> Vec<(usize, FontRole)> {
    let n = text.chars().count();
    let role = match level {
        ParagraphLevel::Heading1 => FontRole::HeiTi,
        ParagraphLevel::Heading2 => FontRole::KaiTi,
        _ => return vec![(n, FontRole::FangSong)],
    };
    // The heading font covers the heading: the whole paragraph when it has no 。, else the
    // first sentence when body text follows it. A single full sentence ("一、对……处理。")
    // is a numbered item of body text, not a heading, and stays in 仿宋.
    match text.chars().position(|c| c == '。') {
        None => vec![(n, role)],
        Some(p) if p + 1 < n => vec![(p + 1, role), (n, FontRole::FangSong)],
        Some(_) => vec![(n, FontRole::FangSong)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_breaks_keep_the_issuer_name_and_words_whole() {
        let issuer = vec!["宿州市发展和改革委员会".to_string()];
        let lines = split_title(
            "宿州市发展和改革委员会关于申请安排2027年市级重点项目前期工作经费的请示",
            20,
            &issuer,
        );
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("宿州市发展和改革委员会")),
            "{lines:?}"
        );
        let lines = split_title(
            "宿州市人民政府关于2026年优化营商环境工作情况的报告",
            20,
            &[],
        );
        assert_eq!(
            lines,
            vec!["宿州市人民政府关于", "2026年优化营商环境工作情况的报告"]
        );
        for l in &lines {
            assert!(cells_of(l) <= 20.0);
        }
    }

    #[test]
    fn a_short_title_is_one_line_and_a_joint_title_breaks_at_the_space() {
        assert_eq!(
            split_title("关于召开会议的通知", 20, &[]),
            vec!["关于召开会议的通知"]
        );
        let lines = split_title(
            "宿州市发展和改革委员会 宿州市财政局关于做好2027年市级政府投资项目计划编制工作的通知",
            20,
            &[],
        );
        assert_eq!(lines[0], "宿州市发展和改革委员会");
        assert!(lines
            .iter()
            .all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
    }
}
