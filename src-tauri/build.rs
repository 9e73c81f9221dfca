fn main() {
    // Declaring the app's commands makes them permission-checked like plugin commands,
    // so capabilities/default.json grants exactly the ones the UI uses.
    let commands = &[
        "vocabulary",
        "list_documents",
        "get_document",
        "create_document",
        "save_draft",
        "validate_document",
        "search",
        "document_versions",
        "autosave_draft",
        "finish_draft",
        "document_version",
        "compare_versions",
        "revision_trail",
        "restore_version",
        "app_ready",
        "startup_error",
        "reopen_store",
        "render_preview",
        "default_direction",
        "templates",
        "export_pdf",
        "sync_status",
        "login",
        "logout",
        "sync_now",
        "outbox",
        "remove_command",
        "discard_command",
        "confirm_command",
        "directory",
        "dispatch",
        "dispatch_check",
        "document_exchange",
        "inbox",
        "acknowledge",
        "return_document",
        "attach_file",
        "save_attachment_as",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("failed to run the Tauri build script");
}
