//! Writing a DA/T 48-2009 电子文件封装包 (原始型) as XML text.
//!
//! The XML is written by hand, element by element, so that the bytes of
//! `<被签名对象 …>…</被签名对象>` are exactly the bytes signed: the 电子签名块 signs those
//! bytes as they stand in the file (UTF-8, no XML canonicalisation), and the checker
//! verifies the same span. Files are not embedded as base64: each is stored beside the
//! package and referenced by its 计算机文件名, with its size and SHA-256 and SM3 digests
//! (docs/archiving.md says why).

use std::fmt::Write as _;

/// The DA/T 48 namespace.
pub const EEP_NS: &str = "http://www.saac.gov.cn/standards/ERM/encapsulation";

pub(crate) const SIGNED_OPEN: &str = "<被签名对象";
pub(crate) const SIGNED_CLOSE: &str = "</被签名对象>";

/// XML text escaping for element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters cannot be in XML 1.0; 四性检测 flags them in metadata
            // (特殊字符), so they are dropped here rather than written invalid.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// An indented XML writer.
pub(crate) struct Xml {
    pub(crate) out: String,
    depth: usize,
}

impl Xml {
    pub(crate) fn new(depth: usize) -> Xml {
        Xml {
            out: String::new(),
            depth,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub(crate) fn open(&mut self, tag: &str) {
        self.open_attrs(tag, &[]);
    }

    pub(crate) fn open_attrs(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.indent();
        let _ = write!(self.out, "<{tag}");
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", esc(v));
        }
        self.out.push_str(">\n");
        self.depth += 1;
    }

    pub(crate) fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{tag}>");
    }

    pub(crate) fn leaf(&mut self, tag: &str, text: &str) {
        self.leaf_attrs(tag, &[], text);
    }

    pub(crate) fn leaf_attrs(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        let _ = write!(self.out, "<{tag}");
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", esc(v));
        }
        let _ = writeln!(self.out, ">{}</{tag}>", esc(text));
    }

    /// Appends text already indented (the signed span).
    pub(crate) fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }
}

/// The byte span of the signed object in a package, if both tags are there.
pub(crate) fn signed_span(bytes: &[u8]) -> Option<&[u8]> {
    let start = find(bytes, SIGNED_OPEN.as_bytes(), 0)?;
    let end = find(bytes, SIGNED_CLOSE.as_bytes(), start)? + SIGNED_CLOSE.len();
    Some(&bytes[start..end])
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}
