//! The vocabulary gives the UI every label it shows for the exchange too (delivery
//! status, 主送/抄送, the connection, command types), so the UI keeps no copy of its own.

use gongwen_core::vocabulary::vocabulary;
use gongwen_core::wire::{CommandBody, Connection, DeliveryStatus, RecipientRole};
use gongwen_core::DocumentId;

#[test]
fn the_exchange_labels_are_in_the_vocabulary() {
    let v = vocabulary();
    let pairs = |json: serde_json::Value| -> Vec<(String, String)> {
        json.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["value"].as_str().unwrap().to_string(),
                    c["label"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(
        pairs(json["delivery_statuses"].clone()),
        [
            ("delivered", "已送达"),
            ("acknowledged", "已签收"),
            ("returned", "已退回")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        pairs(json["recipient_roles"].clone()),
        [("main", "主送"), ("cc", "抄送")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        pairs(json["connections"].clone()),
        [
            ("connecting", "连接中"),
            ("online", "已连接"),
            ("offline", "离线"),
            ("login_needed", "需要登录")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        pairs(json["commands"].clone()),
        [
            ("dispatch", "分发"),
            ("acknowledge", "签收"),
            ("return", "退回"),
            ("step", "办理"),
            ("delegate", "委托代办"),
            ("revoke_delegation", "撤销代办"),
            ("transfer", "移交"),
            ("accept_transfer", "接收移交"),
            ("return_transfer", "退回移交")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(v.delivery_statuses.len(), DeliveryStatus::ALL.len());
    assert_eq!(v.recipient_roles.len(), RecipientRole::ALL.len());
    assert_eq!(v.connections.len(), Connection::ALL.len());
}

#[test]
fn every_command_type_has_its_label() {
    let id = DocumentId(uuid::Uuid::nil());
    for body in [
        CommandBody::Dispatch {
            document_id: id,
            document: Box::default(),
            main: vec![],
            cc: vec![],
        },
        CommandBody::Acknowledge { document_id: id },
        CommandBody::Return {
            document_id: id,
            reason: String::new(),
        },
    ] {
        // The name the outbox lists is the command's `type` tag.
        let tag = serde_json::to_value(&body).unwrap()["type"].clone();
        assert_eq!(tag, serde_json::json!(body.kind()));
        assert!(
            CommandBody::KINDS.iter().any(|(k, _)| *k == body.kind()),
            "{} has no label",
            body.kind()
        );
    }
}
