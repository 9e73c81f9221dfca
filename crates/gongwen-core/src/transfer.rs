//! 移交: a filed batch handed over to an archive (e.g. 宿州市档案馆) through the
//! exchange, as the server records it and both units' logs carry it: what was sent,
//! the receiving server's 四性检测 (stage YJ), 接收 or 退回 with a reason, and the
//! 移交与接收登记表 (DA/T 22) made from it. Plain data; the server decides.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::UnitCode;
use crate::Classification;

/// One file of the batch, by its path under the batch folder (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransferFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// 待接收: arrived and checked by the receiving server; the archive has not decided.
    Arrived,
    /// 已接收
    Accepted,
    /// 已退回, with a reason.
    Returned,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Arrived => "arrived",
            TransferStatus::Accepted => "accepted",
            TransferStatus::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TransferStatus::Arrived => "待接收",
            TransferStatus::Accepted => "已接收",
            TransferStatus::Returned => "已退回",
        }
    }

    pub fn parse(s: &str) -> Option<TransferStatus> {
        [
            TransferStatus::Arrived,
            TransferStatus::Accepted,
            TransferStatus::Returned,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// One item of the receiving server's check that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFinding {
    /// E.g. `YJ-1-1`.
    pub code: String,
    /// The 档号, or `批次`.
    pub subject: String,
    /// `fail` or `not_checked`.
    pub status: String,
    pub item: String,
    pub detail: String,
    pub detail_en: String,
}

/// The receiving server's 四性检测 of the batch (stage YJ), as kept with the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSummary {
    /// 件 found in the batch.
    pub items_checked: u64,
    pub passed: u64,
    pub failed: u64,
    pub not_checked: u64,
    /// Every item that did not pass.
    pub findings: Vec<CheckFinding>,
    /// The virus scanner used; None: 未扫描.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner: Option<String>,
}

impl CheckSummary {
    /// 检测结果 as the 登记表 states it.
    pub fn verdict_zh(&self) -> String {
        if self.failed > 0 {
            let mut codes: Vec<&str> = self
                .findings
                .iter()
                .filter(|f| f.status == "fail")
                .map(|f| f.code.as_str())
                .collect();
            codes.sort_unstable();
            codes.dedup();
            format!("不通过（{} 项：{}）", self.failed, codes.join("、"))
        } else if self.not_checked > 0 {
            format!("通过，{} 项未检测", self.not_checked)
        } else {
            "通过".to_string()
        }
    }
}

/// A person as the 登记表 names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub username: String,
    pub name: String,
}

/// A transfer as the server keeps it and the log carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: Uuid,
    /// 移交单位 (the 全宗's unit).
    pub from: UnitCode,
    pub from_name: String,
    /// 接收单位 (an archive).
    pub to: UnitCode,
    pub to_name: String,
    /// 全宗号 and 年度 of the batch.
    pub fonds_code: String,
    pub year: u16,
    /// Every 档号 of the batch, in catalogue order.
    pub archival_codes: Vec<String>,
    /// 数量: 件 and bytes of 电子档案/ (as the catalogue states them).
    pub items: u64,
    pub bytes: u64,
    /// Every file of the batch (the whole carrier).
    pub files: Vec<TransferFile>,
    /// The highest 密级 in the batch: readers cleared lower do not get the entry.
    pub classification: Classification,
    pub sent_by: Person,
    pub sent_at: String,
    pub status: TransferStatus,
    pub check: CheckSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How the batch travelled (载体), as the 登记表 states it.
pub const CARRIER: &str = "在线（经公文交换服务器）";

impl Transfer {
    /// The 移交与接收登记表 (DA/T 22) as (field, value) rows, in the form's order.
    pub fn receipt_rows(&self) -> Vec<(&'static str, String)> {
        let day = |at: &str| at.get(..10).unwrap_or(at).to_string();
        let decided = self.decided_at.as_deref().map(day).unwrap_or_default();
        vec![
            ("移交单位", self.from_name.clone()),
            ("接收单位", self.to_name.clone()),
            ("全宗号", self.fonds_code.clone()),
            ("年度", self.year.to_string()),
            ("内容", format!("{} 年度文书档案", self.year)),
            ("数量", format!("{} 件，{} 字节", self.items, self.bytes)),
            ("载体", CARRIER.to_string()),
            ("检测结果", self.check.verdict_zh()),
            ("移交日期", day(&self.sent_at)),
            ("移交人", self.sent_by.name.clone()),
            (
                "接收情况",
                match self.status {
                    TransferStatus::Arrived => "待接收".to_string(),
                    TransferStatus::Accepted => "接收".to_string(),
                    TransferStatus::Returned => {
                        format!("退回：{}", self.reason.as_deref().unwrap_or_default())
                    }
                },
            ),
            ("接收日期", decided),
            (
                "接收人",
                self.decided_by
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
            ),
            ("移交编号", self.id.to_string()),
        ]
    }
}

/// The id of the transfer of a batch: fixed by its 全宗号, 年度 and content (every
/// file's path and SHA-256), so a re-run after a cut connection names the same
/// transfer, and the server, which keeps one transfer per id, never makes a second.
/// A batch changed since (a package re-exported after a 退回) is another transfer.
pub fn transfer_id(fonds_code: &str, year: u16, files: &[TransferFile]) -> Uuid {
    let mut lines: Vec<String> = files
        .iter()
        .map(|f| format!("{}\t{}", f.path, f.sha256))
        .collect();
    lines.sort_unstable();
    let text = format!(
        "gongwen-transfer\n{fonds_code}\n{year}\n{}",
        lines.join("\n")
    );
    let digest = crate::digest::sha256_hex(text.as_bytes());
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&digest[i * 2..i * 2 + 2], 16).unwrap_or(0);
    }
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha: char) -> TransferFile {
        TransferFile {
            path: path.into(),
            sha256: sha.to_string().repeat(64),
            size: 1,
        }
    }

    #[test]
    fn the_id_depends_on_the_content_not_the_order() {
        let a = vec![file("文件目录.XML", 'a'), file("电子档案/x.pdf", 'b')];
        let b = vec![a[1].clone(), a[0].clone()];
        assert_eq!(transfer_id("Z109", 2026, &a), transfer_id("Z109", 2026, &b));
        let changed = vec![a[0].clone(), file("电子档案/x.pdf", 'c')];
        assert_ne!(
            transfer_id("Z109", 2026, &a),
            transfer_id("Z109", 2026, &changed)
        );
        assert_ne!(transfer_id("Z109", 2026, &a), transfer_id("Z110", 2026, &a));
    }
}
