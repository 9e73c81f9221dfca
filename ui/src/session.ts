/**
 * The exchange as the whole window sees it: the sync status (pushed by the shell as
 * `sync-status` events), the cached directory of units, and a revision number that
 * views watch to reload when a sync may have changed what they show.
 */
import { ref, shallowRef } from 'vue'
import { api, type Directory, type SyncStatus, type UnitCode } from './api'

export const syncStatus = shallowRef<SyncStatus | null>(null)
export const directory = shallowRef<Directory | null>(null)
/** Bumped on every status change (a sync ran, a command was queued or decided). */
export const exchangeRevision = ref(0)
/** Bumped when the logged-in account changes (login, 退出登录): what the store shows
 *  depends on its clearance, so lists reload and an open document is left. */
export const viewerRevision = ref(0)

function viewer(status: SyncStatus | null): string {
  return status?.signed_in && status.account ? `${status.account.server}\n${status.account.username}` : ''
}
/** The login dialog is open. */
export const loginOpen = ref(false)
/** The 新建公文 dialog is open (its button, or Ctrl+N anywhere). */
export const newDocumentOpen = ref(false)
/** The 同步队列 drawer (the outbox: commands waiting for the exchange) is open. */
export const outboxOpen = ref(false)

function apply(status: SyncStatus) {
  const before = syncStatus.value
  syncStatus.value = status
  exchangeRevision.value++
  if (before && viewer(before) !== viewer(status)) viewerRevision.value++
  // The directory arrives with the first sync after a login.
  if (before?.last_sync_at !== status.last_sync_at || before?.account?.username !== status.account?.username) {
    void loadDirectory()
  }
}

export async function loadDirectory(): Promise<void> {
  try {
    directory.value = await api.directory()
  } catch (e) {
    console.warn('directory unavailable', e)
  }
}

/** Reads the status once and follows its changes; returns the unlisten function. */
export async function followSyncStatus(): Promise<() => void> {
  const unlisten = await api.onSyncStatus(apply)
  apply(await api.syncStatus())
  return unlisten
}

/** Re-reads the status after an action (the event follows too; this is for at once). */
export async function refreshStatus(): Promise<void> {
  apply(await api.syncStatus())
}

/** A unit's full name from the cached directory; the code when it is not there. */
export function unitName(code: UnitCode): string {
  return directory.value?.units.find((u) => u.code === code)?.name ?? code
}
