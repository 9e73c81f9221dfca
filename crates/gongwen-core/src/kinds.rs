//! The closed vocabularies of a 公文: 文种, 密级, 紧急程度 and 行文方向.

use serde::{Deserialize, Serialize};

/// 文种: the 15 kinds of 党政机关公文 (条例 第八条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Resolution,
    Decision,
    Order,
    Communique,
    Announcement,
    Circular,
    Opinion,
    Notice,
    Bulletin,
    Report,
    Request,
    Reply,
    Motion,
    Letter,
    Minutes,
}

impl DocKind {
    pub const ALL: [DocKind; 15] = [
        DocKind::Resolution,
        DocKind::Decision,
        DocKind::Order,
        DocKind::Communique,
        DocKind::Announcement,
        DocKind::Circular,
        DocKind::Opinion,
        DocKind::Notice,
        DocKind::Bulletin,
        DocKind::Report,
        DocKind::Request,
        DocKind::Reply,
        DocKind::Motion,
        DocKind::Letter,
        DocKind::Minutes,
    ];

    /// The name a clerk uses, and the word a title of this kind ends with.
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Resolution => "决议",
            DocKind::Decision => "决定",
            DocKind::Order => "命令（令）",
            DocKind::Communique => "公报",
            DocKind::Announcement => "公告",
            DocKind::Circular => "通告",
            DocKind::Opinion => "意见",
            DocKind::Notice => "通知",
            DocKind::Bulletin => "通报",
            DocKind::Report => "报告",
            DocKind::Request => "请示",
            DocKind::Reply => "批复",
            DocKind::Motion => "议案",
            DocKind::Letter => "函",
            DocKind::Minutes => "纪要",
        }
    }

    /// Words a title of this kind may end with (命令 titles end in 令 or 命令).
    pub fn title_endings(self) -> &'static [&'static str] {
        match self {
            DocKind::Resolution => &["决议"],
            DocKind::Decision => &["决定"],
            DocKind::Order => &["令", "命令"],
            DocKind::Communique => &["公报"],
            DocKind::Announcement => &["公告"],
            DocKind::Circular => &["通告"],
            DocKind::Opinion => &["意见"],
            DocKind::Notice => &["通知"],
            DocKind::Bulletin => &["通报"],
            DocKind::Report => &["报告"],
            DocKind::Request => &["请示"],
            DocKind::Reply => &["批复"],
            DocKind::Motion => &["议案"],
            DocKind::Letter => &["函"],
            DocKind::Minutes => &["纪要"],
        }
    }

    /// The usual direction of this kind; a document may override it (an 意见 goes any way).
    pub fn default_direction(self) -> Direction {
        match self {
            DocKind::Report | DocKind::Request | DocKind::Motion => Direction::Upward,
            DocKind::Letter => Direction::Lateral,
            _ => Direction::Downward,
        }
    }

    /// Kinds addressed to the public or recorded for the file carry no 主送机关.
    pub fn needs_main_recipients(self) -> bool {
        !matches!(
            self,
            DocKind::Resolution
                | DocKind::Order
                | DocKind::Communique
                | DocKind::Announcement
                | DocKind::Circular
                | DocKind::Minutes
        )
    }
}

/// 密级. Ordered: a user may see a document when their clearance is at least its level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    #[default]
    Unclassified,
    Confidential,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Unclassified,
        Classification::Confidential,
        Classification::Secret,
        Classification::TopSecret,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Classification::Unclassified => "非密",
            Classification::Confidential => "秘密",
            Classification::Secret => "机密",
            Classification::TopSecret => "绝密",
        }
    }

    pub fn is_classified(self) -> bool {
        self != Classification::Unclassified
    }
}

/// 紧急程度 (paper documents: 特急/加急).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
    Immediate,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Immediate];

    pub fn label(self) -> &'static str {
        match self {
            Urgency::Normal => "普通",
            Urgency::Urgent => "加急",
            Urgency::Immediate => "特急",
        }
    }
}

/// 行文方向: 上行文 to a superior, 下行文 to subordinates, 平行文 to peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upward,
    Downward,
    Lateral,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Upward, Direction::Downward, Direction::Lateral];

    pub fn label(self) -> &'static str {
        match self {
            Direction::Upward => "上行文",
            Direction::Downward => "下行文",
            Direction::Lateral => "平行文",
        }
    }
}
