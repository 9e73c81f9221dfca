//! `ui/src/bindings/commands.ts`: one typed wrapper for every `#[tauri::command]` the app
//! registers, read from the Rust signatures with `syn`, so the UI never types a command's
//! or an argument's name by hand.
//!
//! Each wrapper takes its arguments as one object keyed by the names Tauri expects (the
//! Rust names in camelCase, unless the command says `rename_all = "snake_case"`), so a
//! command or argument renamed in Rust is a vue-tsc error where the UI calls it once the
//! bindings are regenerated — and `cargo xtask lint` fails until they are. Argument and
//! return types resolve to the ts-rs bindings beside the file; a type without one is an
//! error here, not an `unknown` in the UI. Why not tauri-specta: docs/ARCHITECTURE.md, `ui/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

/// Arguments Tauri fills in itself; the page never sends them.
const INJECTED: [&str; 5] = ["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

/// The file written beside the ts-rs bindings.
pub const FILE_NAME: &str = "commands.ts";

/// Reads `src/lib.rs` of the app under `src_dir`, finds the commands its
/// `generate_handler!` registers in their modules, and returns the TypeScript module.
/// `has_binding(name)` says whether `bindings/<name>.ts` exists.
pub fn generate(src_dir: &Path, has_binding: &dyn Fn(&str) -> bool) -> Result<String> {
    let mut sources = Sources::new(src_dir);
    let registered = registered_commands(sources.file("lib")?)?;
    let mut commands = Vec::new();
    for path in &registered {
        let (module, name) = match path.as_slice() {
            [name] => ("lib", name.as_str()),
            [module, name] => (module.as_str(), name.as_str()),
            _ => bail!(
                "generate_handler! names `{}`: only `command` or `module::command` is understood",
                path.join("::")
            ),
        };
        let file = sources.file(module)?;
        let function = file
            .items
            .iter()
            .find_map(|item| match item {
                Item::Fn(f) if f.sig.ident == name => Some(f),
                _ => None,
            })
            .with_context(|| format!("no fn {name} in src/{module}.rs"))?;
        commands.push(Command::read(function, module)?);
    }
    let aliases = sources.result_aliases()?;
    render(&commands, &aliases, has_binding)
}

/// The app's source files, parsed once each.
struct Sources<'a> {
    dir: &'a Path,
    parsed: BTreeMap<String, syn::File>,
}

impl<'a> Sources<'a> {
    fn new(dir: &'a Path) -> Self {
        Sources {
            dir,
            parsed: BTreeMap::new(),
        }
    }

    fn file(&mut self, module: &str) -> Result<&syn::File> {
        if !self.parsed.contains_key(module) {
            let path = self.dir.join(format!("{module}.rs"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file =
                syn::parse_file(&text).with_context(|| format!("parsing {}", path.display()))?;
            self.parsed.insert(module.to_string(), file);
        }
        Ok(&self.parsed[module])
    }

    /// Every `type Name<T> = Result<T, E>;` in the app's files: a command answering
    /// `Name<T>` answers `T` to the page (the error is the promise's rejection).
    fn result_aliases(&mut self) -> Result<BTreeSet<String>> {
        for entry in std::fs::read_dir(self.dir)
            .with_context(|| format!("listing {}", self.dir.display()))?
        {
            let path = entry?.path();
            if let Some(module) = path
                .file_stem()
                .filter(|_| path.extension().is_some_and(|e| e == "rs"))
                .and_then(|s| s.to_str())
            {
                self.file(module)?;
            }
        }
        let mut aliases = BTreeSet::new();
        for file in self.parsed.values() {
            for item in &file.items {
                let Item::Type(alias) = item else { continue };
                let params: Vec<_> = alias.generics.type_params().collect();
                let [param] = params.as_slice() else { continue };
                let Some((name, generics)) = split_path(&alias.ty) else {
                    continue;
                };
                if let ("Result", [Type::Path(ok), _]) = (name.as_str(), generics.as_slice()) {
                    if ok.path.is_ident(&param.ident) {
                        aliases.insert(alias.ident.to_string());
                    }
                }
            }
        }
        Ok(aliases)
    }
}

/// The commands `generate_handler![…]` names in `lib`, as path segments, in order.
fn registered_commands(lib: &syn::File) -> Result<Vec<Vec<String>>> {
    #[derive(Default)]
    struct Find(Vec<syn::Macro>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if m.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "generate_handler")
            {
                self.0.push(m.clone());
            }
        }
    }
    let mut find = Find::default();
    find.visit_file(lib);
    let [handler] = find.0.as_slice() else {
        bail!(
            "src/lib.rs has {} generate_handler! calls; one is expected",
            find.0.len()
        );
    };
    let paths = handler
        .parse_body_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .context("reading the command list of generate_handler!")?;
    Ok(paths
        .iter()
        .map(|p| p.segments.iter().map(|s| s.ident.to_string()).collect())
        .collect())
}

/// One command as the page calls it.
struct Command {
    name: String,
    docs: Vec<String>,
    /// The key each argument is sent under, and its Rust type.
    args: Vec<(String, Type)>,
    returns: Option<Type>,
}

impl Command {
    fn read(function: &syn::ItemFn, module: &str) -> Result<Self> {
        let name = function.sig.ident.to_string();
        let attr = function
            .attrs
            .iter()
            .find(|a| {
                let segments: Vec<_> = a
                    .path()
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segments == ["tauri", "command"]
            })
            .with_context(|| {
                format!("src/{module}.rs: fn {name} is registered but has no #[tauri::command]")
            })?;
        let mut snake_case = false;
        if let syn::Meta::List(_) = attr.meta {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    match value.value().as_str() {
                        "snake_case" => snake_case = true,
                        "camelCase" => snake_case = false,
                        other => {
                            return Err(
                                meta.error(format!("rename_all = \"{other}\" is not understood"))
                            )
                        }
                    }
                } else if meta.input.peek(syn::Token![=]) {
                    // `root = …`, like `async`: nothing the page sees.
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            })
            .with_context(|| format!("src/{module}.rs: the #[tauri::command] of fn {name}"))?;
        }
        let mut args = Vec::new();
        for input in &function.sig.inputs {
            let FnArg::Typed(arg) = input else {
                bail!("src/{module}.rs: fn {name} takes self");
            };
            if split_path(&arg.ty).is_some_and(|(ident, _)| INJECTED.contains(&ident.as_str())) {
                continue;
            }
            let syn::Pat::Ident(pat) = &*arg.pat else {
                bail!("src/{module}.rs: fn {name} has an argument that is not a plain name");
            };
            let rust = pat.ident.to_string();
            let key = if snake_case { rust } else { lower_camel(&rust) };
            args.push((key, (*arg.ty).clone()));
        }
        let returns = match &function.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Ok(Command {
            name,
            docs: doc_lines(&function.attrs),
            args,
            returns,
        })
    }
}

/// The TypeScript module: imports, then `commands` with one wrapper per command.
fn render(
    commands: &[Command],
    result_aliases: &BTreeSet<String>,
    has_binding: &dyn Fn(&str) -> bool,
) -> Result<String> {
    let mut types = TsTypes {
        result_aliases,
        has_binding,
        imports: BTreeSet::new(),
    };
    let mut body = String::new();
    for command in commands {
        let context = || format!("command {}", command.name);
        let answer = match &command.returns {
            None => "void".to_string(),
            Some(ty) => types.answer(ty).with_context(context)?,
        };
        if !command.docs.is_empty() {
            body.push_str("  /**\n");
            for line in &command.docs {
                // A `*/` in a Rust comment would end the JSDoc early.
                let line = line.replace("*/", "*\\/");
                let _ = writeln!(body, "   *{}{line}", if line.is_empty() { "" } else { " " });
            }
            body.push_str("   */\n");
        }
        let accessor = lower_camel(&command.name);
        if command.args.is_empty() {
            let _ = writeln!(
                body,
                "  {accessor}: () => invoke<{answer}>('{}'),",
                command.name
            );
        } else {
            let mut fields = Vec::new();
            for (key, ty) in &command.args {
                fields.push(format!("{key}: {}", types.ts(ty).with_context(context)?));
            }
            let _ = writeln!(
                body,
                "  {accessor}: (args: {{ {} }}) => invoke<{answer}>('{}', args),",
                fields.join("; "),
                command.name
            );
        }
    }
    let mut out = String::from(
        "// Generated by `cargo xtask bindings` from the #[tauri::command]s that src-tauri/src/lib.rs\n\
         // registers (xtask/src/commands_ts.rs). Do not edit this file by hand.\n\
         import { invoke } from '@tauri-apps/api/core'\n",
    );
    for name in &types.imports {
        let _ = writeln!(out, "import type {{ {name} }} from './{name}'");
    }
    out.push_str(
        "\n/**\n\
         \x20* Every command the app registers. Arguments go as one object keyed by the names Tauri\n\
         \x20* expects, so a command or argument renamed in Rust is a type error where it is called.\n\
         \x20* A command that fails rejects with a Chinese message meant to be shown as is.\n\
         \x20*/\n\
         export const commands = {\n",
    );
    out.push_str(&body);
    out.push_str("}\n");
    Ok(out)
}

/// Rust types as the page sees them (serde's JSON), named types from the ts-rs bindings.
struct TsTypes<'a> {
    result_aliases: &'a BTreeSet<String>,
    has_binding: &'a dyn Fn(&str) -> bool,
    imports: BTreeSet<String>,
}

impl TsTypes<'_> {
    /// What the promise of a command returning `ty` resolves to.
    fn answer(&mut self, ty: &Type) -> Result<String> {
        if is_unit(ty) {
            return Ok("void".into());
        }
        let Some((name, generics)) = split_path(ty) else {
            return self.ts(ty);
        };
        match (name.as_str(), generics.as_slice()) {
            ("Result", [ok, _]) => self.answer(ok),
            (alias, [ok]) if self.result_aliases.contains(alias) => self.answer(ok),
            // Raw bytes (`tauri::ipc::Response`), not JSON.
            ("Response", []) => Ok("ArrayBuffer".into()),
            _ => self.ts(ty),
        }
    }

    fn ts(&mut self, ty: &Type) -> Result<String> {
        if let Type::Reference(r) = ty {
            return self.ts(&r.elem);
        }
        let Some((name, generics)) = split_path(ty) else {
            bail!("the type `{}` is not understood", quote_type(ty));
        };
        Ok(match (name.as_str(), generics.as_slice()) {
            ("String" | "str" | "char", []) => "string".into(),
            ("u8" | "u16" | "u32" | "i8" | "i16" | "i32" | "f32" | "f64", []) => "number".into(),
            ("bool", []) => "boolean".into(),
            ("Option", [inner]) => format!("{} | null", self.ts(inner)?),
            ("Vec", [inner]) => format!("Array<{}>", self.ts(inner)?),
            // Not in JSON as a number a page can hold exactly; ts-rs would say bigint.
            ("u64" | "i64" | "u128" | "i128" | "usize" | "isize", []) => {
                bail!("`{name}` does not fit a JavaScript number; send u32 or a string")
            }
            (name, generics) => {
                if !(self.has_binding)(name) {
                    bail!(
                        "`{}` has no TypeScript binding: derive ts_rs::TS with ts(export) on {name} (under the crate's `ts` feature)",
                        quote_type(ty)
                    );
                }
                self.imports.insert(name.to_string());
                if generics.is_empty() {
                    name.to_string()
                } else {
                    let inner = generics
                        .iter()
                        .map(|g| self.ts(g))
                        .collect::<Result<Vec<_>>>()?;
                    format!("{name}<{}>", inner.join(", "))
                }
            }
        })
    }
}

/// A path type's last name and its type arguments (`gongwen_store::Page<DocumentSummary>`
/// → `("Page", [DocumentSummary])`); `None` for anything else.
fn split_path(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let generics = match &last.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                // Lifetimes (`State<'_, AppState>`) say nothing about the JSON.
                _ => None,
            })
            .collect(),
        PathArguments::Parenthesized(_) => return None,
    };
    Some((last.ident.to_string(), generics))
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

fn quote_type(ty: &Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream().to_string()
}

/// `save_attachment_as` → `saveAttachmentAs`: how Tauri names arguments by default, and
/// how the wrappers are named.
fn lower_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The `///` lines of an item, without the leading space.
fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An app's sources in a temporary folder: `lib.rs` and the given modules.
    fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const LIB: &str = r#"
        mod docs;
        pub type Answer<T> = Result<T, String>;
        pub fn run() {
            tauri::Builder::default()
                .invoke_handler(tauri::generate_handler![docs::list_documents, docs::save_as, docs::preview, ping])
                .run(tauri::generate_context!());
        }
        /// Is anybody there?
        #[tauri::command]
        pub fn ping() {}
    "#;

    const DOCS: &str = r#"
        use crate::Answer;
        #[tauri::command]
        pub fn list_documents(state: State<'_, AppState>, filter: ListFilter) -> Answer<Page<DocumentSummary>> { todo!() }
        /// Saves a copy; the path, or none.
        #[tauri::command]
        pub async fn save_as(app: AppHandle, id: String, file_name: Option<String>, parts: Vec<u32>) -> Result<Option<String>, String> { todo!() }
        #[tauri::command]
        pub async fn preview(state: State<'_, AppState>, document: &Document) -> Answer<tauri::ipc::Response> { todo!() }
    "#;

    fn known(name: &str) -> bool {
        ["ListFilter", "Page", "DocumentSummary", "Document"].contains(&name)
    }

    #[test]
    fn every_registered_command_gets_a_wrapper_with_named_arguments() {
        let dir = app(&[("lib.rs", LIB), ("docs.rs", DOCS)]);
        let ts = generate(dir.path(), &known).unwrap();
        let expected = "\
import { invoke } from '@tauri-apps/api/core'
import type { Document } from './Document'
import type { DocumentSummary } from './DocumentSummary'
import type { ListFilter } from './ListFilter'
import type { Page } from './Page'
";
        assert!(ts.contains(expected), "{ts}");
        let wrappers = "\
export const commands = {
  listDocuments: (args: { filter: ListFilter }) => invoke<Page<DocumentSummary>>('list_documents', args),
  /**
   * Saves a copy; the path, or none.
   */
  saveAs: (args: { id: string; fileName: string | null; parts: Array<number> }) => invoke<string | null>('save_as', args),
  preview: (args: { document: Document }) => invoke<ArrayBuffer>('preview', args),
  /**
   * Is anybody there?
   */
  ping: () => invoke<void>('ping'),
}
";
        assert!(ts.ends_with(wrappers), "{ts}");
    }

    #[test]
    fn snake_case_arguments_are_sent_as_written() {
        let lib = r#"
            fn run() { generate_handler![open_file]; }
            #[tauri::command(rename_all = "snake_case")]
            fn open_file(file_name: String) {}
        "#;
        let dir = app(&[("lib.rs", lib)]);
        let ts = generate(dir.path(), &known).unwrap();
        assert!(
            ts.contains(
                "openFile: (args: { file_name: string }) => invoke<void>('open_file', args),"
            ),
            "{ts}"
        );
    }

    #[test]
    fn a_type_without_a_binding_is_an_error_naming_it() {
        let lib = r#"
            fn run() { generate_handler![status]; }
            #[tauri::command]
            fn status() -> Result<SyncStatus, String> { todo!() }
        "#;
        let dir = app(&[("lib.rs", lib)]);
        let err = format!("{:#}", generate(dir.path(), &known).unwrap_err());
        assert!(err.contains("command status"), "{err}");
        assert!(err.contains("SyncStatus"), "{err}");
    }

    #[test]
    fn a_registered_function_must_be_a_command() {
        let lib = r#"
            fn run() { generate_handler![helper, missing]; }
            fn helper() {}
        "#;
        let dir = app(&[("lib.rs", lib)]);
        let err = format!("{:#}", generate(dir.path(), &known).unwrap_err());
        assert!(
            err.contains("fn helper is registered but has no #[tauri::command]"),
            "{err}"
        );
    }

    #[test]
    fn numbers_a_page_cannot_hold_are_refused() {
        let lib = r#"
            fn run() { generate_handler![count]; }
            #[tauri::command]
            fn count() -> u64 { 0 }
        "#;
        let dir = app(&[("lib.rs", lib)]);
        let err = format!("{:#}", generate(dir.path(), &known).unwrap_err());
        assert!(
            err.contains("`u64` does not fit a JavaScript number"),
            "{err}"
        );
    }
}
