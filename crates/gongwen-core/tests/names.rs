//! Each vocabulary's names as text: `as_str` and `FromStr` agree, and a name that is
//! not one of them is an error that says which vocabulary and what it expects (never
//! an empty string or a default value).

use gongwen_core::wire::{DeliveryStatus, Role};
use gongwen_core::{Classification, DocStatus, UnknownName};

#[test]
fn a_name_reads_back_as_its_value() {
    for c in Classification::ALL {
        assert_eq!(c.as_str().parse::<Classification>(), Ok(c));
    }
    assert_eq!(DocStatus::SignedOff.as_str(), "signed_off");
    assert_eq!("top_secret".parse(), Ok(Classification::TopSecret));
}

#[test]
fn an_unknown_name_is_an_error_naming_the_vocabulary() {
    let e: UnknownName = "Secret".parse::<Classification>().unwrap_err();
    assert_eq!(e.what, "classification");
    assert_eq!(e.text, "Secret");
    let text = e.to_string();
    assert!(text.contains("top_secret"), "{text}");
    assert!("".parse::<DeliveryStatus>().is_err());
}

#[test]
fn a_role_is_also_read_from_its_chinese_label() {
    assert_eq!("办公室主任".parse(), Ok(Role::OfficeDirector));
    assert_eq!("office_director".parse(), Ok(Role::OfficeDirector));
    let e = "主任".parse::<Role>().unwrap_err();
    assert!(e.to_string().contains("clerk"), "{e}");
}
