//! Each closed vocabulary's names as text, in one place: `as_str()` gives the name a
//! value has in JSON, in stored text and on the command line (its serde name), and
//! `FromStr` reads it back, failing with [`UnknownName`], never with an empty string.
//! Every crate that stores or prints these values uses this, not serde tricks of its
//! own. A test checks each name against serde, so the two cannot drift.

/// A name that is not one of a vocabulary's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{text}`; expected one of: {}", .expected.join(", "))]
pub struct UnknownName {
    /// Which vocabulary, e.g. `role`.
    pub what: &'static str,
    /// The text given (at most 80 characters of it).
    pub text: String,
    /// The names it knows.
    pub expected: &'static [&'static str],
}

macro_rules! names {
    ($( $ty:ident $what:literal $(+ $labels:ident)? { $($variant:ident = $name:literal),+ $(,)? } )+) => {
        $(
            impl $ty {
                /// Every value, in the order of the names.
                #[allow(dead_code)]
                const NAMED: &'static [$ty] = &[$($ty::$variant),+];

                /// Its name in JSON, in stored text and on the command line.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        $($ty::$variant => $name),+
                    }
                }
            }

            impl std::str::FromStr for $ty {
                type Err = UnknownName;
                fn from_str(s: &str) -> Result<Self, UnknownName> {
                    match s {
                        $($name => Ok($ty::$variant),)+
                        _ => {
                            $( names!(@$labels $ty s); )?
                            Err(UnknownName {
                                what: $what,
                                text: s.chars().take(80).collect(),
                                expected: &[$($name),+],
                            })
                        }
                    }
                }
            }

            impl From<$ty> for &'static str {
                fn from(value: $ty) -> &'static str {
                    value.as_str()
                }
            }
        )+

        #[cfg(test)]
        mod tests {
            use super::*;

            fn check<T>(value: T, name: &str)
            where
                T: serde::Serialize + std::str::FromStr + PartialEq + std::fmt::Debug + Copy,
                T::Err: std::fmt::Debug,
            {
                assert_eq!(serde_json::to_value(value).unwrap(), serde_json::json!(name));
                assert_eq!(name.parse::<T>().unwrap(), value);
            }

            #[test]
            fn every_name_is_the_serde_name_and_reads_back() {
                $($( check($ty::$variant, $name); )+)+
            }
        }
    };
    // Also accepts the Chinese label (`办公室主任` for `office_director`).
    (@labels $ty:ident $s:ident) => {
        if let Some(found) = $ty::NAMED.iter().copied().find(|v| v.label() == $s) {
            return Ok(found);
        }
    };
}

use crate::body::ParagraphLevel;
use crate::revision::VersionReason;
use crate::wire::{DeliveryStatus, RecipientRole, RejectCode, Role};
use crate::{Classification, Direction, DocKind, DocStatus, Element, Severity, Urgency};

names! {
    DocKind "document kind" {
        Resolution = "resolution",
        Decision = "decision",
        Order = "order",
        Communique = "communique",
        Announcement = "announcement",
        Circular = "circular",
        Opinion = "opinion",
        Notice = "notice",
        Bulletin = "bulletin",
        Report = "report",
        Request = "request",
        Reply = "reply",
        Motion = "motion",
        Letter = "letter",
        Minutes = "minutes",
    }
    Classification "classification" {
        Unclassified = "unclassified",
        Confidential = "confidential",
        Secret = "secret",
        TopSecret = "top_secret",
    }
    Urgency "urgency" {
        Normal = "normal",
        Urgent = "urgent",
        Immediate = "immediate",
    }
    Direction "direction" {
        Upward = "upward",
        Downward = "downward",
        Lateral = "lateral",
    }
    DocStatus "document status" {
        Draft = "draft",
        SignedOff = "signed_off",
        Dispatched = "dispatched",
        Incoming = "incoming",
        Archived = "archived",
    }
    Role "role" + labels {
        Clerk = "clerk",
        OfficeDirector = "office_director",
        Leader = "leader",
        Archivist = "archivist",
        Admin = "admin",
    }
    RecipientRole "recipient role" {
        Main = "main",
        Cc = "cc",
    }
    DeliveryStatus "delivery status" {
        Delivered = "delivered",
        Acknowledged = "acknowledged",
        Returned = "returned",
    }
    RejectCode "rejection code" {
        Forbidden = "forbidden",
        AboveClearance = "above_clearance",
        NotFound = "not_found",
        InvalidState = "invalid_state",
        Invalid = "invalid",
        MissingAttachment = "missing_attachment",
        IdReused = "id_reused",
    }
    Element "element" {
        CopyNumber = "copy_number",
        Classification = "classification",
        Urgency = "urgency",
        IssuerMark = "issuer_mark",
        DocNumber = "doc_number",
        Signers = "signers",
        Title = "title",
        MainRecipients = "main_recipients",
        Body = "body",
        AttachmentNote = "attachment_note",
        IssuerSignature = "issuer_signature",
        DateOfIssue = "date_of_issue",
        Seal = "seal",
        Note = "note",
        Attachments = "attachments",
        CcRecipients = "cc_recipients",
        Printing = "printing",
        PageNumber = "page_number",
    }
    Severity "severity" {
        Error = "error",
        Warning = "warning",
    }
    VersionReason "version reason" {
        Created = "created",
        Imported = "imported",
        Autosaved = "autosaved",
        Saved = "saved",
        Finished = "finished",
        Paused = "paused",
        FileAdded = "file_added",
        Restored = "restored",
        Step = "step",
        Received = "received",
        Sent = "sent",
    }
    ParagraphLevel "paragraph level" {
        Text = "text",
        Heading1 = "heading1",
        Heading2 = "heading2",
        Heading3 = "heading3",
        Heading4 = "heading4",
    }
}
