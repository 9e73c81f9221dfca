/** Whether the shell has been told the first list is on screen (once per app run). */
export const readyReported = { value: false }
