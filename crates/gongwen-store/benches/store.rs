//! Store benchmark: import, search and list on 100,000 realistic 公文, with ripgrep
//! over the same text as a yardstick for search.
//!
//! `cargo bench -p gongwen-store --bench store`
//! env: `GONGWEN_BENCH_DOCS=N` (default 100000), `GONGWEN_BENCH_OUT=FILE` (default
//! `bench/store.json` in the workspace), `GONGWEN_BENCH_KEEP_STORE=DIR` (build the store
//! there and keep it), `GONGWEN_BENCH_SKIP_RG=1` (no ripgrep comparison, for quick runs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gongwen_core::{Body, Classification, DocKind, DocStatus, Document, Urgency};
use gongwen_store::{ListFilter, SortOrder, Store};

const UNITS: &[(&str, &str)] = &[
    ("宿州市人民政府", "宿政"),
    ("宿州市人民政府办公室", "宿政办"),
    ("萧县人民政府", "萧政"),
    ("砀山县人民政府", "砀政"),
    ("灵璧县人民政府", "灵政"),
    ("泗县人民政府", "泗政"),
    ("埇桥区人民政府", "埇政"),
    ("宿州市财政局", "宿财"),
    ("宿州市教育局", "宿教"),
    ("宿州市生态环境局", "宿环"),
    ("宿州市应急管理局", "宿应急"),
    ("宿州市农业农村局", "宿农"),
    ("宿州市卫生健康委员会", "宿卫健"),
    ("宿州市住房和城乡建设局", "宿建"),
    ("宿州市交通运输局", "宿交"),
    ("宿州市水利局", "宿水"),
];

const TOPICS: &[&str] = &[
    "防汛抗旱",
    "安全生产",
    "乡村振兴",
    "生态环境保护",
    "营商环境",
    "疫情防控",
    "秋冬季森林防火",
    "农村公路建设",
    "义务教育均衡发展",
    "城镇老旧小区改造",
    "耕地保护",
    "河长制",
    "优化营商环境",
    "高标准农田建设",
    "重点项目建设",
    "消防安全",
    "食品安全",
    "民生实事",
    "信访工作",
    "数字政府建设",
    "节能减排",
    "社会救助",
    "防范化解重大风险",
    "招商引资",
    "科技创新",
    "文明城市创建",
];

const ACTIONS: &[&str] = &[
    "做好",
    "加强",
    "进一步加强",
    "开展",
    "推进",
    "印发",
    "切实做好",
    "全面推进",
    "扎实开展",
    "规范",
];

const PHRASES: &[&str] = &[
    "为深入贯彻落实党中央、国务院决策部署",
    "按照省委、省政府工作要求",
    "结合我市实际",
    "现就有关事项通知如下",
    "各地各部门要高度重视",
    "切实加强组织领导",
    "压紧压实各方责任",
    "确保各项工作任务落到实处",
    "要坚持以人民为中心的发展思想",
    "统筹发展和安全",
    "建立健全长效工作机制",
    "强化督促检查",
    "对工作不力、推诿扯皮的单位和个人严肃追责问责",
    "及时报送工作进展情况",
    "全市生产总值增长5.8%",
    "GDP总量突破2000亿元",
    "一般公共预算收入完成128.6亿元",
    "全面排查整治各类风险隐患",
    "做到早发现、早报告、早处置",
    "加大资金投入力度",
    "市财政安排专项资金3000万元",
    "完善应急预案",
    "加强值班值守",
    "严格执行24小时值班和领导带班制度",
    "广泛开展宣传教育",
    "营造良好社会氛围",
    "坚持问题导向和目标导向",
    "健全完善考核评价体系",
    "推动工作提质增效",
    "持续深化“放管服”改革",
    "优化政务服务流程",
    "提升群众满意度",
    "切实保障人民群众生命财产安全",
    "认真落实各项防范措施",
    "加强部门协同配合",
    "形成工作合力",
    "对照目标任务",
    "倒排工期、挂图作战",
    "确保年底前全面完成",
    "各县区政府要落实属地管理责任",
    "市直有关部门要加强业务指导",
    "请于每月5日前将工作进展情况报市政府办公室",
    "联系人及电话请一并报送",
    "本通知自印发之日起施行",
    "以上请示当否，请批示",
    "特此报告",
    "妥否，请批复",
    "有关情况报告如下",
    "2026年是“十五五”规划的开局之年",
    "深入推进新型城镇化建设",
    "加快建设现代化产业体系",
    "大力发展县域经济",
    "持续改善农村人居环境",
    "巩固拓展脱贫攻坚成果",
    "守牢不发生规模性返贫底线",
    "推进基本公共服务均等化",
    "强化安全生产监管执法",
    "开展安全生产大检查",
    "做好重要节假日期间各项工作",
    "严防各类事故发生",
];

const HEADINGS: &[&str] = &[
    "总体要求",
    "主要任务",
    "工作目标",
    "重点工作",
    "保障措施",
    "工作要求",
    "实施步骤",
    "责任分工",
    "加强组织领导",
    "强化督查考核",
    "营造良好氛围",
    "其他事项",
];

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八"];

const KINDS: &[DocKind] = &[
    DocKind::Notice,
    DocKind::Notice,
    DocKind::Notice,
    DocKind::Request,
    DocKind::Report,
    DocKind::Opinion,
    DocKind::Reply,
    DocKind::Letter,
    DocKind::Decision,
    DocKind::Bulletin,
    DocKind::Minutes,
    DocKind::Circular,
];

fn generate(rng: &mut fastrand::Rng, serial: usize) -> (Document, DocStatus) {
    let kind = KINDS[rng.usize(..KINDS.len())];
    let (issuer, code) = UNITS[rng.usize(..UNITS.len())];
    let topic = TOPICS[rng.usize(..TOPICS.len())];
    let year = 2018 + rng.u16(..9);
    let mut d = Document::new(kind);
    d.issuer_mark = vec![format!("{issuer}文件")];
    d.doc_number = format!("{code}〔{year}〕{}号", 1 + serial % 300);
    d.title = format!(
        "{issuer}关于{}{}工作的{}",
        ACTIONS[rng.usize(..ACTIONS.len())],
        topic,
        kind.title_endings()[0]
    );
    let (to, _) = UNITS[rng.usize(..UNITS.len())];
    d.main_recipients = vec![to.to_string(), "各县、区人民政府".to_string()];
    d.cc_recipients = vec!["市委办公室".to_string(), "市人大常委会办公室".to_string()];
    if matches!(kind, DocKind::Request | DocKind::Report) {
        d.signers = vec!["王建国".to_string()];
    }
    d.urgency = [
        Urgency::Normal,
        Urgency::Normal,
        Urgency::Urgent,
        Urgency::Immediate,
    ][rng.usize(..4)];
    d.classification = if rng.u8(..20) == 0 {
        Classification::Confidential
    } else {
        Classification::Unclassified
    };
    d.issuer_signature = vec![issuer.to_string()];
    d.date_of_issue = format!("{year}年{}月{}日", 1 + rng.u8(..12), 1 + rng.u8(..28));

    // ~1,500 characters: an opening, then numbered sections of phrases.
    let mut body = format!(
        "为做好{topic}工作，{}，{}。\n",
        PHRASES[rng.usize(..PHRASES.len())],
        PHRASES[3]
    );
    let mut section = 0;
    while body.chars().count() < 1450 {
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
            "{}，{}{}工作。\n",
            sentence.join("，"),
            ACTIONS[rng.usize(..ACTIONS.len())],
            topic
        ));
    }
    d.body = Body::from_text(&body);
    let status = [
        DocStatus::Draft,
        DocStatus::SignedOff,
        DocStatus::Dispatched,
        DocStatus::Incoming,
        DocStatus::Archived,
    ][rng.usize(..5)];
    (d, status)
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

struct Row {
    metric: String,
    value: f64,
    unit: &'static str,
    target: String,
    note: String,
}

/// CPU seconds (user + system) this process has used, from /proc (Linux); the bench
/// shares the machine with builds, so CPU time shows what wall time hides.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit(')').next()?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn export_text(docs: &[(Document, DocStatus)], dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, (d, _)) in docs.iter().enumerate() {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n",
            d.title,
            d.doc_number,
            d.issuer_signature.join("、"),
            d.main_recipients
                .iter()
                .chain(&d.cc_recipients)
                .cloned()
                .collect::<Vec<_>>()
                .join("、"),
            d.body.to_text()
        );
        std::fs::write(dir.join(format!("{i:06}.txt")), text).unwrap();
    }
}

/// The corpus as document files for `gongwen import`, in 100 folders of 1,000, as an
/// office's yearly folders would hold them (`cargo xtask bench` imports them).
fn export_toml(docs: &[(Document, DocStatus)], dir: &Path) {
    for (i, (d, status)) in docs.iter().enumerate() {
        let folder = dir.join(format!("{:02}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        let file = gongwen_core::DocumentFile {
            status: Some(*status),
            document: d.clone(),
        };
        std::fs::write(folder.join(format!("{i:06}.toml")), file.to_toml()).unwrap();
    }
}

/// Wall time of `rg -F -l QUERY DIR` (second run, warm cache).
fn rg_time(query: &str, dir: &Path) -> Option<(f64, usize)> {
    let mut result = None;
    for _ in 0..2 {
        let t = Instant::now();
        let out = Command::new("rg")
            .args(["-F", "-l", "--no-messages", query])
            .arg(dir)
            .output()
            .ok()?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        result = Some((ms, out.stdout.iter().filter(|&&b| b == b'\n').count()));
    }
    result
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let n: usize = std::env::var("GONGWEN_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let out = std::env::var("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("bench/store.json"));
    let keep = std::env::var("GONGWEN_BENCH_KEEP_STORE")
        .ok()
        .map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let store_dir = keep.clone().unwrap_or_else(|| temp.path().join("store"));
    if store_dir.join(gongwen_store::DB_FILE).exists() {
        eprintln!(
            "{} already holds a store; give an empty folder",
            store_dir.display()
        );
        std::process::exit(2);
    }

    let mut rng = fastrand::Rng::with_seed(20261125);
    let t = Instant::now();
    let docs: Vec<_> = (0..n).map(|i| generate(&mut rng, i)).collect();
    let chars: usize = docs.iter().map(|(d, _)| d.body.char_count()).sum();
    eprintln!(
        "generated {n} documents, {:.0} body characters each on average, in {:.1} s",
        chars as f64 / n as f64,
        t.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();
    let mut store = Store::open(&store_dir).unwrap();
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    for (i, batch) in docs.chunks(1000).enumerate() {
        let tb = Instant::now();
        store.import(batch).unwrap();
        if i % 10 == 0 {
            eprintln!("batch {i}: {:.0} ms", tb.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) => format!(", {:.1} CPU s on 2 threads", b - a),
        _ => String::new(),
    };
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| {
            format!(
                ", load average {}",
                l.split_whitespace().next().unwrap_or("?")
            )
        })
        .unwrap_or_default();
    eprintln!("import: {:.0} docs/s{cpu}", n as f64 / secs);
    rows.push(Row {
        metric: "import".into(),
        value: n as f64 / secs,
        unit: "docs/s",
        target: ">= 5000".into(),
        note: format!("{n} docs in batches of 1000, {secs:.1} s{cpu}{load}"),
    });
    drop(store);
    let db_size = std::fs::metadata(store_dir.join(gongwen_store::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(store_dir.join(format!("{}-wal", gongwen_store::DB_FILE)))
            .map(|m| m.len())
            .unwrap_or(0);
    let t = Instant::now();
    let store = Store::open(&store_dir).unwrap();
    rows.push(Row {
        // After a clean close of a large store only the cheap checks run (see
        // `schema::open_checked`); a crash would add the full check (~0.5 s here).
        metric: "open after clean close".into(),
        value: t.elapsed().as_secs_f64() * 1000.0,
        unit: "ms",
        target: String::new(),
        note: format!("database {:.0} MB", db_size as f64 / 1e6),
    });

    let text_dir = temp.path().join("text");
    let skip_rg = std::env::var_os("GONGWEN_BENCH_SKIP_RG").is_some();
    if !skip_rg {
        let t = Instant::now();
        export_text(&docs, &text_dir);
        eprintln!("exported text for rg in {:.1} s", t.elapsed().as_secs_f64());
    }
    if let Some(dir) = std::env::var_os("GONGWEN_BENCH_TOML_DIR").map(PathBuf::from) {
        let t = Instant::now();
        export_toml(&docs, &dir);
        eprintln!(
            "wrote {n} document files in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    drop(docs);

    let queries: &[(&str, &[&str])] = &[
        ("1 char", &["汛", "市", "鑫", "5"]),
        ("2 chars", &["防汛", "资金", "值班", "GDP"]),
        ("4 chars", &["安全生产", "乡村振兴", "营商环境", "2026"]),
        // Rare phrases made of common bigrams (全市, 市财, 财政 each occur in most
        // documents, 全市财政 in none): the worst case for an index without positions.
        ("4 chars, rare", &["全市财政", "市政办公", "2026年防汛"]),
        // Inside Latin words and numbers (their pieces in the character table): 026 in
        // 2026 (文号 and body), DP in GDP, 00 in 2000 and 3000 (most bodies), 9704 in
        // nothing.
        ("inside Latin words", &["026", "DP", "00", "9704"]),
    ];
    let reps = 30;
    for (label, qs) in queries {
        let mut all = Vec::new();
        let mut notes = Vec::new();
        let mut worst: Option<(String, f64, f64, usize)> = None;
        for q in *qs {
            let mut samples = Vec::new();
            let mut hits = 0;
            for i in 0..reps + 3 {
                let t = Instant::now();
                let r = store.search(q, 50).unwrap();
                if i >= 3 {
                    samples.push(t.elapsed());
                }
                hits = r.len();
            }
            let p50 = percentile(&mut samples, 0.5);
            let p95 = percentile(&mut samples, 0.95);
            let rg = if skip_rg { None } else { rg_time(q, &text_dir) };
            let rg_note = match rg {
                Some((ms, files)) => {
                    format!("rg {ms:.0} ms ({files} files), ratio {:.3}", p95 / ms)
                }
                None => "rg not run".to_string(),
            };
            println!("search {q:>6}: p50 {p50:7.2} ms  p95 {p95:7.2} ms  hits {hits:3}  {rg_note}");
            notes.push(format!("{q}: p95 {p95:.1} ms, {rg_note}"));
            if worst.as_ref().is_none_or(|w| p95 > w.2) {
                worst = Some((q.to_string(), p50, p95, hits));
            }
            all.extend(samples);
        }
        let p50 = percentile(&mut all, 0.5);
        let p95 = percentile(&mut all, 0.95);
        rows.push(Row {
            metric: format!("search p50 ({label})"),
            value: p50,
            unit: "ms",
            target: String::new(),
            note: format!("queries {}, limit 50", qs.join(" ")),
        });
        rows.push(Row {
            metric: format!("search p95 ({label})"),
            value: p95,
            unit: "ms",
            target: "<= 20".into(),
            note: notes.join("; "),
        });
    }

    let filters = [
        ListFilter::default(),
        ListFilter {
            kind: Some(DocKind::Notice),
            ..ListFilter::default()
        },
        ListFilter {
            status: Some(DocStatus::Draft),
            ..ListFilter::default()
        },
        ListFilter {
            year: Some(2024),
            ..ListFilter::default()
        },
        ListFilter {
            sort: SortOrder::DateAsc,
            offset: 500,
            ..ListFilter::default()
        },
        ListFilter {
            kind: Some(DocKind::Request),
            year: Some(2025),
            ..ListFilter::default()
        },
    ];
    let mut samples = Vec::new();
    for _ in 0..50 {
        for f in &filters {
            let t = Instant::now();
            let page = store.list(f).unwrap();
            samples.push(t.elapsed());
            assert!(page.items.len() <= 50);
        }
    }
    let p50 = percentile(&mut samples, 0.5);
    let p95 = percentile(&mut samples, 0.95);
    rows.push(Row {
        metric: "list page of 50 p95".into(),
        value: p95,
        unit: "ms",
        target: "<= 5".into(),
        note: format!(
            "p50 {p50:.2} ms; filters: none, kind, status, year, asc offset 500, kind+year"
        ),
    });

    println!(
        "\n{:<28} {:>10} {:<7} {:<8} note",
        "metric", "value", "unit", "target"
    );
    for r in &rows {
        println!(
            "{:<28} {:>10.2} {:<7} {:<8} {}",
            r.metric, r.value, r.unit, r.target, r.note
        );
    }
    let json: Vec<_> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "group": "store", "metric": r.metric, "value": (r.value * 100.0).round() / 100.0,
                "unit": r.unit, "target": r.target, "note": r.note,
            })
        })
        .collect();
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("\nwrote {}", out.display());
    if let Some(k) = keep {
        println!("kept the store in {}", k.display());
    }
}
