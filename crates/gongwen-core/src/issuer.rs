//! The unit a document is written for: what a new draft of the logged-in unit says
//! before the clerk types a word (发文机关标志, 发文机关署名, 印发机关), which red-header
//! templates are the unit's own, and which directory units the 主送/抄送 lines name.
//!
//! Only names are compared here (the directory's full unit names, as GB/T 9704 prints
//! them, and its 规范化简称); the caller brings the unit, the templates' marks and the
//! directory.

use crate::wire::{Unit, UnitCode};
use crate::{DocKind, Document};

/// The 发文机关标志 of `unit` for a `kind` (GB/T 9704-2012 7.2.3, 10.1–10.3): the
/// 文件格式 adds 文件, a 命令（令） is the organ name and 令, the 信函格式 is the name alone.
/// A 纪要's mark names the meeting, which the unit's name does not tell: empty.
pub fn issuer_mark(unit: &str, kind: DocKind) -> Option<String> {
    let unit = unit.trim();
    if unit.is_empty() {
        return None;
    }
    match kind {
        DocKind::Minutes => None,
        DocKind::Order => Some(format!("{unit}令")),
        DocKind::Letter => Some(unit.to_string()),
        _ => Some(format!("{unit}文件")),
    }
}

/// The 印发机关 of `unit`: its office (办公室 or 办公厅) prints and sends its documents,
/// e.g. 宿州市人民政府办公室 for 宿州市人民政府; an office prints its own.
pub fn printing_office(unit: &str) -> String {
    let unit = unit.trim();
    if unit.is_empty() || unit.ends_with("办公室") || unit.ends_with("办公厅") {
        unit.to_string()
    } else {
        format!("{unit}办公室")
    }
}

/// Fills what a new draft of `unit` says about its issuer: the 发文机关标志, the
/// 发文机关署名 (a 纪要 carries none) and the 印发机关. Only blank fields are filled, so
/// nothing the clerk wrote is overwritten.
pub fn prefill(doc: &mut Document, unit: &str) {
    let unit = unit.trim();
    if unit.is_empty() {
        return;
    }
    let blank = |lines: &[String]| lines.iter().all(|l| l.trim().is_empty());
    if blank(&doc.issuer_mark) {
        if let Some(mark) = issuer_mark(unit, doc.kind) {
            doc.issuer_mark = vec![mark];
        }
    }
    if doc.kind != DocKind::Minutes && blank(&doc.issuer_signature) {
        doc.issuer_signature = vec![unit.to_string()];
    }
    if doc.printing_office.trim().is_empty() {
        doc.printing_office = printing_office(unit);
    }
}

/// Whether a red-header template whose 发文机关标志 lines are `marks` is one `unit` issues
/// under: its first (主办) organ is the unit, alone (宿州市人民政府) or with a format's
/// word (宿州市人民政府令, 宿州市人民政府常务会议纪要). Another unit that only begins
/// with the name (宿州市人民政府办公室) is not the unit; nor is a co-issuer of a 联合行文,
/// which the lead organ issues.
pub fn owns_template(unit: &str, marks: &[String]) -> bool {
    let unit = unit.trim();
    let Some(first) = marks.first().map(|m| m.trim()) else {
        return false;
    };
    if unit.is_empty() {
        return false;
    }
    match first.strip_prefix(unit) {
        Some(rest) => rest.is_empty() || rest == "令" || rest.ends_with("纪要"),
        None => false,
    }
}

/// The directory units the names in a 主送 or 抄送 line stand for, in the line's order:
/// a name matches a unit of that full name, or else the one unit whose 规范化简称 it is
/// (市统计局 for 宿州市统计局; the 条例 allows either in 主送). Spaces and a trailing
/// colon or 、 are ignored. A short name two units share names neither: which one was
/// meant is the clerk's to say. Names that are not units of the directory
/// (各县、区人民政府) give none; a unit named twice is given once.
pub fn units_named(names: &[String], units: &[Unit]) -> Vec<UnitCode> {
    let mut found: Vec<UnitCode> = Vec::new();
    for name in names {
        let name: String = name
            .trim()
            .trim_end_matches(['：', ':', '、', '，', ','])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if name.is_empty() {
            continue;
        }
        let unit = units.iter().find(|u| u.name == name).or_else(|| {
            let mut short = units
                .iter()
                .filter(|u| u.short_name.as_deref().map(str::trim) == Some(name.as_str()));
            match (short.next(), short.next()) {
                (Some(u), None) => Some(u),
                _ => None,
            }
        });
        if let Some(u) = unit {
            if !found.contains(&u.code) {
                found.push(u.code.clone());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{validate, Element, Severity};

    fn unit(code: &str, name: &str) -> Unit {
        Unit {
            code: UnitCode(code.into()),
            name: name.into(),
            short_name: None,
        }
    }

    #[test]
    fn a_new_notice_names_its_unit() {
        let mut doc = Document::new(DocKind::Notice);
        prefill(&mut doc, "宿州市发展和改革委员会");
        assert_eq!(doc.issuer_mark, ["宿州市发展和改革委员会文件"]);
        assert_eq!(doc.issuer_signature, ["宿州市发展和改革委员会"]);
        assert_eq!(doc.printing_office, "宿州市发展和改革委员会办公室");
        // No problem of the issuer is left for the clerk to fix.
        let issuer = [
            Element::IssuerMark,
            Element::IssuerSignature,
            Element::Printing,
        ];
        assert!(
            validate(&doc).iter().all(|p| !issuer.contains(&p.element)),
            "{:?}",
            validate(&doc)
        );
    }

    #[test]
    fn each_format_has_its_mark() {
        assert_eq!(
            issuer_mark("宿州市人民政府", DocKind::Order).as_deref(),
            Some("宿州市人民政府令")
        );
        assert_eq!(
            issuer_mark("宿州市统计局", DocKind::Letter).as_deref(),
            Some("宿州市统计局")
        );
        assert_eq!(issuer_mark("宿州市统计局", DocKind::Minutes), None);
        assert_eq!(issuer_mark("  ", DocKind::Notice), None);
        let mut minutes = Document::new(DocKind::Minutes);
        prefill(&mut minutes, "宿州市统计局");
        assert!(minutes.issuer_mark.is_empty() && minutes.issuer_signature.is_empty());
        assert_eq!(minutes.printing_office, "宿州市统计局办公室");
    }

    #[test]
    fn an_office_prints_its_own() {
        assert_eq!(printing_office("宿州市人民政府"), "宿州市人民政府办公室");
        assert_eq!(
            printing_office("宿州市人民政府办公室"),
            "宿州市人民政府办公室"
        );
        assert_eq!(
            printing_office("安徽省人民政府办公厅"),
            "安徽省人民政府办公厅"
        );
    }

    #[test]
    fn what_the_clerk_wrote_stays() {
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec!["宿州市人民政府办公室文件".into()];
        doc.printing_office = "宿州市人民政府办公室".into();
        prefill(&mut doc, "宿州市人民政府");
        assert_eq!(doc.issuer_mark, ["宿州市人民政府办公室文件"]);
        assert_eq!(doc.printing_office, "宿州市人民政府办公室");
        assert_eq!(doc.issuer_signature, ["宿州市人民政府"]);
        let mut nobody = Document::new(DocKind::Notice);
        prefill(&mut nobody, "");
        assert_eq!(nobody, Document::new(DocKind::Notice));
    }

    #[test]
    fn a_unit_owns_the_templates_it_leads() {
        let marks = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let gov = "宿州市人民政府";
        assert!(owns_template(gov, &marks(&["宿州市人民政府"])));
        assert!(owns_template(gov, &marks(&["宿州市人民政府令"])));
        assert!(owns_template(gov, &marks(&["宿州市人民政府常务会议纪要"])));
        assert!(owns_template(
            gov,
            &marks(&["宿州市人民政府", "宿州市财政局"])
        ));
        // The office is another unit; a co-issuer does not lead the joint template.
        assert!(!owns_template(gov, &marks(&["宿州市人民政府办公室"])));
        assert!(!owns_template(
            "宿州市财政局",
            &marks(&["宿州市人民政府", "宿州市财政局"])
        ));
        assert!(!owns_template("", &marks(&["宿州市人民政府"])));
        assert!(!owns_template(gov, &[]));
    }

    #[test]
    fn recipients_are_found_by_their_full_names() {
        let units = [
            unit("sz-fgw", "宿州市发展和改革委员会"),
            unit("sz-tjj", "宿州市统计局"),
            unit("sz-gov", "宿州市人民政府"),
        ];
        let names = [
            "宿州市统计局".to_string(),
            "各县、区人民政府".to_string(),
            " 宿州市发展和改革委员会：".to_string(),
            "宿州市统计局".to_string(),
            String::new(),
        ];
        assert_eq!(
            units_named(&names, &units),
            [UnitCode("sz-tjj".into()), UnitCode("sz-fgw".into())]
        );
        assert!(units_named(&["宿州市".to_string()], &units).is_empty());
    }

    #[test]
    fn recipients_are_found_by_their_short_names_too() {
        let short = |code: &str, name: &str, short: &str| Unit {
            short_name: Some(short.into()),
            ..unit(code, name)
        };
        let units = [
            short("sz-fgw", "宿州市发展和改革委员会", "市发展改革委"),
            short("sz-tjj", "宿州市统计局", "市统计局"),
            unit("sz-daj", "宿州市档案馆"),
            // Two units the same short name would stand for (the directory allows it).
            short("sz-gov", "宿州市人民政府办公室", "市政府办公室"),
            short("hb-gov", "淮北市人民政府办公室", "市政府办公室"),
        ];
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            units_named(
                &names(&["市统计局", "市发展改革委：", "宿州市统计局"]),
                &units
            ),
            [UnitCode("sz-tjj".into()), UnitCode("sz-fgw".into())]
        );
        // Only the short name the directory gives; the full name still counts.
        assert!(units_named(&names(&["市发改委", "市档案馆"]), &units).is_empty());
        assert_eq!(
            units_named(&names(&["宿州市档案馆"]), &units),
            [UnitCode("sz-daj".into())]
        );
        // Ambiguous: neither office is chosen for the clerk; the full name picks one.
        assert!(units_named(&names(&["市政府办公室"]), &units).is_empty());
        assert_eq!(
            units_named(&names(&["淮北市人民政府办公室"]), &units),
            [UnitCode("hb-gov".into())]
        );
    }

    #[test]
    fn a_blank_draft_has_only_missing_content() {
        // What the editor opens with: errors, but each one only says something is not
        // yet written, so the editor can show them as still to fill in.
        let mut doc = Document::new(DocKind::Notice);
        prefill(&mut doc, "宿州市统计局");
        let problems = validate(&doc);
        let errors: Vec<_> = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|p| p.missing), "{errors:?}");
    }
}
