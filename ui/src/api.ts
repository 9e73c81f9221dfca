/**
 * The one place the UI talks to the Rust side. Every Tauri command is called through
 * `commands` (src/bindings/commands.ts), which `cargo xtask bindings` generates from the
 * `#[tauri::command]` signatures, as it generates the payload types from the Rust types
 * (ts-rs); `cargo xtask lint` fails when either is out of step. No command or argument
 * name is typed here: a renamed one is a vue-tsc error in this file.
 * Commands reject with a Chinese message meant to be shown as is.
 */
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import { commands } from './bindings/commands'
import type { CommandKind } from './bindings/CommandKind'
import type { DocKind } from './bindings/DocKind'
import type { Direction } from './bindings/Direction'
import type { Document } from './bindings/Document'
import type { DocumentId } from './bindings/DocumentId'
import type { DocumentSummary } from './bindings/DocumentSummary'
import type { DocumentView } from './bindings/DocumentView'
import type { Delivery } from './bindings/Delivery'
import type { DeliveryStatus } from './bindings/DeliveryStatus'
import type { Directory } from './bindings/Directory'
import type { DispatchCheck } from './bindings/DispatchCheck'
import type { DocumentExchange } from './bindings/DocumentExchange'
import type { InboxItem } from './bindings/InboxItem'
import type { OutboxItem } from './bindings/OutboxItem'
import type { RecipientRole } from './bindings/RecipientRole'
import type { SyncStatus } from './bindings/SyncStatus'
import type { Unit } from './bindings/Unit'
import type { UnitCode } from './bindings/UnitCode'
import type { ListFilter } from './bindings/ListFilter'
import type { Page } from './bindings/Page'
import type { PreviewMeta } from './bindings/PreviewMeta'
import type { PreviewWarning } from './bindings/PreviewWarning'
import type { Problem } from './bindings/Problem'
import type { SaveOutcome } from './bindings/SaveOutcome'
import type { SaveResult } from './bindings/SaveResult'
import type { SearchField } from './bindings/SearchField'
import type { SearchHit } from './bindings/SearchHit'
import type { StoredDocument } from './bindings/StoredDocument'
import type { TemplateChoice } from './bindings/TemplateChoice'
import type { VersionInfo } from './bindings/VersionInfo'
import type { BoxItem } from './bindings/BoxItem'
import type { FlowKind } from './bindings/FlowKind'
import type { Handling } from './bindings/Handling'
import type { HandlingShown } from './bindings/HandlingShown'
import type { HandlingBox } from './bindings/HandlingBox'
import type { Participant } from './bindings/Participant'
import type { Publicity } from './bindings/Publicity'
import type { StepAction } from './bindings/StepAction'
import type { StepInfo } from './bindings/StepInfo'
import type { TrailEntry } from './bindings/TrailEntry'
import type { TrashedDocument } from './bindings/TrashedDocument'
import type { Vocabulary } from './bindings/Vocabulary'
import type { WarningKind } from './bindings/WarningKind'

export type {
  BoxItem,
  FlowKind,
  Handling,
  HandlingShown,
  HandlingBox,
  Participant,
  Publicity,
  StepAction,
  StepInfo,
  TrailEntry,
  TrashedDocument,
  CommandKind,
  Delivery,
  DeliveryStatus,
  Directory,
  DispatchCheck,
  DocumentExchange,
  InboxItem,
  OutboxItem,
  RecipientRole,
  SyncStatus,
  Unit,
  UnitCode,
  Direction,
  DocKind,
  Document,
  DocumentId,
  DocumentSummary,
  DocumentView,
  ListFilter,
  Page,
  PreviewMeta,
  PreviewWarning,
  Problem,
  SaveOutcome,
  SaveResult,
  SearchField,
  SearchHit,
  StoredDocument,
  TemplateChoice,
  VersionInfo,
  Vocabulary,
  WarningKind,
}

export const api = {
  /** Labels of every closed vocabulary (文种, 密级, …). */
  vocabulary: () => commands.vocabulary(),
  /** Set when the local store could not be opened; the window shows it instead of the list. */
  startupError: () => commands.startupError(),
  /** Tries to open the store again; the error that remains, or null. */
  reopenStore: () => commands.reopenStore(),
  listDocuments: (filter: ListFilter) => commands.listDocuments({ filter }),
  getDocument: (id: DocumentId) => commands.getDocument({ id }),
  createDocument: (kind: DocKind) => commands.createDocument({ kind }),
  /** 保存: the draft as a new numbered version (nothing new if unchanged), on
   *  `baseVersion`; a version made since (another window, a sync, a 恢复) comes back as
   *  `conflict`, with nothing written. */
  saveDraft: (id: DocumentId, baseVersion: number, document: Document) =>
    commands.saveDraft({ id, baseVersion, document }),
  /** Autosave: the draft becomes the working copy; no new version. A conflict as for 保存. */
  autosaveDraft: (id: DocumentId, baseVersion: number, document: Document) =>
    commands.autosaveDraft({ id, baseVersion, document }),
  /** 完成: the draft as a new numbered version (完成编辑). A conflict as for 保存. */
  finishDraft: (id: DocumentId, baseVersion: number, document: Document) =>
    commands.finishDraft({ id, baseVersion, document }),
  validateDocument: (document: Document) => commands.validateDocument({ document }),
  search: (query: string, limit: number) => commands.search({ query, limit }),
  /** 历史版本: every numbered version, oldest first. */
  documentVersions: (id: DocumentId) => commands.documentVersions({ id }),
  /** One version, read-only. */
  documentVersion: (id: DocumentId, version: number) => commands.documentVersion({ id, version }),
  /** Two versions compared element by element, character by character. */
  compareVersions: (id: DocumentId, old: number, newer: number) => commands.compareVersions({ id, old, new: newer }),
  /** The marked-up text of all versions, each change with its author. */
  revisionTrail: (id: DocumentId) => commands.revisionTrail({ id }),
  /** 恢复: an old version's text as a new version. */
  restoreVersion: (id: DocumentId, version: number) => commands.restoreVersion({ id, version }),
  /** Tells the shell the first list has rendered (cold-start benchmark hook). */
  appReady: () => commands.appReady(),
  /** The usual 行文方向 of a 文种 (the rule lives in gongwen-core). */
  defaultDirection: (kind: DocKind) => commands.defaultDirection({ kind }),
  /** The built-in 红头模板 for the editor's dropdown. */
  templates: () => commands.templates(),
  /** 预览: the draft typeset as GB/T 9704 PDF, unsaved edits included. */
  renderPreview: async (document: Document): Promise<Preview> =>
    unframe(await commands.renderPreview({ document })),
  /** 导出PDF: the save dialog, then the file; the path written, or null if cancelled. */
  exportPdf: (document: Document) => commands.exportPdf({ document }),
  /** 办理单: one unit's 发文稿纸 / 收文处理笺 / 阅文单 as PDF, full or 精简 (`brief`). */
  renderHandlingSheet: async (id: string, unit: string, brief: boolean): Promise<Preview> =>
    unframe(await commands.renderHandlingSheet({ id, unit, brief })),
  /** 导出办理单: the save dialog, then the file; the path written, or null if cancelled. */
  exportHandlingSheet: (id: string, unit: string, brief: boolean) => commands.exportHandlingSheet({ id, unit, brief }),
  /** 添加附件文件: the open dialog, then the file is copied into the store and listed as an
   *  attachment of the draft (a new version); null if cancelled. */
  attachFile: (id: DocumentId) => commands.attachFile({ id }),
  /** 另存为: the save dialog, then a copy of document `id`'s attachment file; the path, or null. */
  saveAttachmentAs: (id: DocumentId, sha256: string, fileName: string) =>
    commands.saveAttachmentAs({ id, sha256, fileName }),

  // --- 回收站: drafts that never left the desk, thrown away and kept 30 days. ---
  /** Of these documents, the ones that may be 删除d (the store's rule). */
  trashableDocuments: (ids: DocumentId[]) => commands.trashableDocuments({ ids }),
  /** 删除: the draft goes into the 回收站. */
  trashDocument: (id: DocumentId) => commands.trashDocument({ id }),
  /** The 回收站, the most recently deleted first. */
  trashedDocuments: () => commands.trashedDocuments(),
  /** 恢复 (or 撤销 right after 删除): back in the list as it was. */
  restoreTrashed: (id: DocumentId) => commands.restoreTrashed({ id }),
  /** 彻底删除 (after a confirmation): gone for good. */
  purgeTrashed: (id: DocumentId) => commands.purgeTrashed({ id }),

  // --- The exchange: login, the sync loop's state, 分发, 收文箱, 签收/退回. ---
  /** Connection, last sync, 待同步 count; also pushed as the `sync-status` event. */
  syncStatus: () => commands.syncStatus(),
  /** Logs in; the token goes to the OS keyring (or stays in memory, see keyring_warning). */
  login: (server: string, username: string, password: string) =>
    commands.login({ server, username, password }),
  /** 退出登录: forgets the token (keyring included); from then on only 非密 documents are
   *  shown and nothing can be queued. Queued commands stay queued for this account's
   *  next login (or another account's confirmation). */
  logout: () => commands.logout(),
  /** Asks the sync loop to push and pull now instead of at its next tick. */
  syncNow: () => commands.syncNow(),
  /** 同步队列: commands waiting for the server and those it refused. */
  outbox: () => commands.outbox(),
  /** 移除 a refused command from the queue; the document itself is not touched. */
  removeCommand: (commandId: string) => commands.removeCommand({ commandId }),
  /** 放弃 a command another account queued on this computer: it is never sent. */
  discardCommand: (commandId: string) => commands.discardCommand({ commandId }),
  /** 确认发送 a command queued before this login by another account: from now on it is
   *  sent under the logged-in account's name (checked again by the store). */
  confirmCommand: (commandId: string) => commands.confirmCommand({ commandId }),
  /** What a 分发 would carry and meet: 密级, attachment count, blocking validation
   *  errors, the units nobody may read it at. */
  dispatchCheck: (id: DocumentId) => commands.dispatchCheck({ id }),
  /** Units and users, from the local cache (works offline). */
  directory: () => commands.directory(),
  /** 分发: queues the command; the document shows 待同步 until the server accepts it. */
  dispatch: (id: DocumentId, main: UnitCode[], cc: UnitCode[]) => commands.dispatch({ id, main, cc }),
  /** A document's 分发/收文 state and its queued commands. */
  documentExchange: (id: DocumentId) => commands.documentExchange({ id }),
  /** 收文箱: documents received from other units, newest first. */
  inbox: () => commands.inbox(),
  /** Marks a received document read by the logged-in user (it was opened); false when
   *  nothing changed. The 收文箱's unread count follows in the next status. */
  markRead: (id: DocumentId) => commands.markRead({ id }),
  /** 签收 (queued). */
  acknowledge: (id: DocumentId) => commands.acknowledge({ id }),

  // --- 办理: the steps of a document's 发文 or 收文 flow, queued like a 签收. ---
  /** The default flows' steps (names, roles, where each may go on and back to). */
  flowSteps: (unit: string, kind: FlowKind) => commands.flowSteps({ unit, kind }),
  handlingSteps: (id: string, unit: string) => commands.handlingSteps({ id, unit }),
  /** Every unit's handling of a document this store has (none for a local draft). */
  handlings: (id: DocumentId) => commands.handlings({ id }),
  /** 待办 / 在办 / 办结 / 阅件 of the logged-in user. */
  handlingBox: (which: HandlingBox) => commands.handlingBox({ which }),
  /** Queues a step; the server decides it when the outbox is sent. */
  takeStep: (args: {
    id: DocumentId
    step: string
    action: StepAction
    opinion: string | null
    publicity: Publicity | null
    deadline: string | null
    withDocument: boolean
  }) => commands.takeStep(args),
  /** 退回 with a reason (queued). */
  returnDocument: (id: DocumentId, reason: string) => commands.returnDocument({ id, reason }),
  /** Calls `handler` with every new status the shell announces. */
  onSyncStatus: (handler: (status: SyncStatus) => void): Promise<UnlistenFn> =>
    listen<SyncStatus>('sync-status', (event) => handler(event.payload)),
}

/** A typeset draft: the PDF and what the typesetter says about it. */
export interface Preview extends PreviewMeta {
  pdf: Uint8Array
}

/**
 * `render_preview` answers with raw bytes (no JSON array or base64 of the PDF): a u32
 * little-endian length, that many bytes of PreviewMeta JSON, then the PDF.
 */
export function unframe(body: ArrayBuffer): Preview {
  const bytes = new Uint8Array(body)
  if (bytes.length < 4) throw new Error('预览数据不完整')
  const length = new DataView(body).getUint32(0, true)
  if (4 + length > bytes.length) throw new Error('预览数据不完整')
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as PreviewMeta
  return { ...meta, pdf: bytes.slice(4 + length) }
}

/** The message to show for a failed call: commands reject with Chinese text already. */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e
  if (e instanceof Error) return e.message
  return String(e)
}
