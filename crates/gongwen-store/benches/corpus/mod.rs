//! The documents the sync benchmarks send: realistic 公文 text, a few varied paragraphs
//! repeated to the target size. Shared by `gongwen-store`'s `apply` bench and
//! `gongwen-exchange`'s `sync` bench (included there with `#[path]`), so both measure
//! the same text.

use gongwen_core::{Body, Classification, DocKind, Document, Urgency};

const ISSUERS: &[(&str, &str)] = &[
    ("宿州市发展和改革委员会", "宿发改"),
    ("宿州市人民政府办公室", "宿政办"),
    ("宿州市财政局", "宿财"),
    ("宿州市教育局", "宿教"),
    ("宿州市生态环境局", "宿环"),
    ("宿州市应急管理局", "宿应急"),
    ("宿州市农业农村局", "宿农"),
    ("宿州市卫生健康委员会", "宿卫健"),
];

const TOPICS: &[&str] = &[
    "防汛抗旱",
    "安全生产",
    "乡村振兴",
    "生态环境保护",
    "优化营商环境",
    "秋冬季森林防火",
    "农村公路建设",
    "义务教育均衡发展",
    "城镇老旧小区改造",
    "耕地保护",
    "高标准农田建设",
    "重点项目建设",
    "统计数据质量",
    "数字政府建设",
    "社会救助",
    "招商引资",
];

const ACTIONS: &[&str] = &[
    "做好",
    "加强",
    "进一步加强",
    "开展",
    "推进",
    "切实做好",
    "扎实开展",
];

const PHRASES: &[&str] = &[
    "为深入贯彻落实党中央、国务院决策部署",
    "按照省委、省政府工作要求",
    "结合我市实际",
    "各地各部门要高度重视",
    "切实加强组织领导",
    "压紧压实各方责任",
    "确保各项工作任务落到实处",
    "统筹发展和安全",
    "建立健全长效工作机制",
    "强化督促检查",
    "对工作不力、推诿扯皮的单位和个人严肃追责问责",
    "及时报送工作进展情况",
    "全市生产总值增长5.8%",
    "一般公共预算收入完成128.6亿元",
    "全面排查整治各类风险隐患",
    "做到早发现、早报告、早处置",
    "市财政安排专项资金3000万元",
    "严格执行24小时值班和领导带班制度",
    "坚持问题导向和目标导向",
    "持续深化“放管服”改革",
    "加强部门协同配合",
    "倒排工期、挂图作战",
    "各县区政府要落实属地管理责任",
    "市直有关部门要加强业务指导",
    "请于每月5日前将工作进展情况报市政府办公室",
    "巩固拓展脱贫攻坚成果",
    "推进基本公共服务均等化",
    "做好重要节假日期间各项工作",
];

const HEADINGS: &[&str] = &[
    "总体要求",
    "主要任务",
    "工作目标",
    "重点工作",
    "保障措施",
    "工作要求",
    "责任分工",
    "强化督查考核",
];

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

const KINDS: &[DocKind] = &[
    DocKind::Notice,
    DocKind::Notice,
    DocKind::Notice,
    DocKind::Opinion,
    DocKind::Letter,
    DocKind::Bulletin,
    DocKind::Report,
    DocKind::Request,
];

/// A 公文 whose body is about `body_bytes` bytes of UTF-8 (3 bytes per Chinese
/// character), in numbered sections of varied sentences.
pub fn generate(rng: &mut fastrand::Rng, serial: usize, body_bytes: usize) -> Document {
    let kind = KINDS[rng.usize(..KINDS.len())];
    let (issuer, code) = ISSUERS[rng.usize(..ISSUERS.len())];
    let topic = TOPICS[rng.usize(..TOPICS.len())];
    let action = ACTIONS[rng.usize(..ACTIONS.len())];
    let mut d = Document::new(kind);
    d.issuer_mark = vec![format!("{issuer}文件")];
    d.doc_number = format!("{code}〔2026〕{}号", 1 + serial % 500);
    d.title = format!(
        "{issuer}关于{action}{topic}工作的{}",
        kind.title_endings()[0]
    );
    d.main_recipients = vec!["宿州市统计局".into(), "各县、区人民政府".into()];
    d.cc_recipients = vec!["市委办公室".into(), "市人大常委会办公室".into()];
    if matches!(kind, DocKind::Request | DocKind::Report) {
        d.signers = vec!["王建国".into()];
    }
    d.urgency = [Urgency::Normal, Urgency::Normal, Urgency::Urgent][rng.usize(..3)];
    d.classification = if rng.u8(..20) == 0 {
        Classification::Confidential
    } else {
        Classification::Unclassified
    };
    d.issuer_signature = vec![issuer.into()];
    d.date_of_issue = format!("2026年{}月{}日", 1 + rng.u8(..12), 1 + rng.u8(..28));
    d.note = "联系人：张明，电话：0557-3021234".into();

    let mut body = format!(
        "为{action}{topic}工作，{}，现就有关事项通知如下。\n",
        PHRASES[rng.usize(..PHRASES.len())]
    );
    let mut section = 0;
    while body.len() < body_bytes {
        if section < NUMERALS.len() && (section == 0 || rng.u8(..4) == 0) {
            body.push_str(&format!(
                "{}、{}\n",
                NUMERALS[section],
                HEADINGS[rng.usize(..HEADINGS.len())]
            ));
            section += 1;
        }
        let n = 3 + rng.usize(..5);
        let sentence: Vec<&str> = (0..n)
            .map(|_| PHRASES[rng.usize(..PHRASES.len())])
            .collect();
        body.push_str(&format!(
            "{}，{}{topic}工作。\n",
            sentence.join("，"),
            ACTIONS[rng.usize(..ACTIONS.len())]
        ));
    }
    body.push_str("特此通知。");
    d.body = Body::from_text(&body);
    d
}
