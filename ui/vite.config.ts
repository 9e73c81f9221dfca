import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The Tauri shell serves ui/dist; `vite dev` on a fixed port is only for `tauri dev`.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    // Naive UI is one chunk of ~1 MB before gzip; it is loaded from disk, not a network.
    chunkSizeWarningLimit: 1500,
  },
})
